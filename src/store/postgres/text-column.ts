/** Text that sorts and compares by bytes, like SQLite's default collation (the migrations' columns). */
export const T = 'TEXT COLLATE "C"';
