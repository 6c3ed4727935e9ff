// The dashboard's calls to its JSON API: same-origin, the session cookie, and on writes the
// X-Asgard-Dashboard header the server requires (with SameSite=Strict, its CSRF defence).
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['x-asgard-dashboard'] = '1';
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`/api/dashboard${path}`, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    throw new ApiError(res.status, data?.error?.code ?? 'http_error', data?.error?.message ?? `the server answered ${res.status}`);
  }
  return data;
}
