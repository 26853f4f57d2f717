/**
 * URLs in logs, stored errors and metrics labels lose what may be a credential: the
 * `user:password@` part, every query value, the fragment, and path segments that look like
 * tokens (a Slack or Teams webhook carries its secret in the path). What stays (scheme, host,
 * port, the readable path) is enough to tell which endpoint failed.
 */

const MASK = '***';
/** Long runs of letters and digits, or a mix with both: the shape of a key or token. */
const TOKEN_SEGMENT = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.~%=]{16,}$|^[A-Za-z0-9_\-~%=]{32,}$/;

export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK;
  }
  const auth = u.username !== '' || u.password !== '' ? `${MASK}@` : '';
  const path = u.pathname
    .split('/')
    .map((seg) => (TOKEN_SEGMENT.test(seg) ? MASK : seg))
    .join('/');
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
  return `${u.protocol}//${auth}${u.host}${path}${query ? `?${query}` : ''}${u.hash ? `#${MASK}` : ''}`;
}

/** Every URL inside free text (an error message, a server's answer) redacted. */
export function redactUrls(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi, (m) => {
    // Punctuation that ends a sentence is not part of the URL.
    const tail = /[),.;:!?\]]+$/.exec(m)?.[0] ?? '';
    return redactUrl(m.slice(0, m.length - tail.length)) + tail;
  });
}

/** Query parameter names that carry credentials, refused in configured URLs. */
const CREDENTIAL_PARAM = /^(access[_-]?token|token|auth|authorization|key|api[_-]?key|apikey|secret|client[_-]?secret|password|passwd|pass|pwd|sig|signature|code|session|sessionid|jwt|bearer)$/i;

/**
 * Why a configured URL carries a credential (without repeating it), or null. Config schemas
 * refuse such URLs: a credential in a URL ends up in logs, errors and the outbox.
 */
export function urlCredentialProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null; // the URL check itself reports it
  }
  if (u.username !== '' || u.password !== '') return 'expected a URL without user:password@ (credentials in a URL end up in logs and errors)';
  const names = [...new Set([...u.searchParams.keys()].filter((k) => CREDENTIAL_PARAM.test(k)))];
  if (names.length > 0) return `expected a URL without credentials in its query (${names.map((n) => `'${n}'`).join(', ')}): put a URL that must carry a token in an environment variable named by urlEnv`;
  return null;
}
