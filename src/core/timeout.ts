/** Resolves with `p`'s value, or with undefined after `ms`, whichever comes first (`p` is not cancelled). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, expiry]).finally(() => clearTimeout(timer));
}
