// The dashboard's only way to the broker: the public HTTP API, the same one every client uses.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, {method = 'GET', body, accept = 'application/json', contentType} = {}) {
  const headers = {'Accept': accept};
  if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
  const res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const enc = encodeURIComponent;

/** Text to base64 through UTF-8 (the binary embedded format carries keys, values and header values so). */
export function toBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(b64) {
  if (b64 === null || b64 === undefined) return null;
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Which optional APIs this broker has, from its OpenAPI document (so the pages ask for nothing that is not there). */
let capabilities;
export function hasApi(prefix) {
  capabilities = capabilities || api('/openapi').then(doc => Object.keys(doc.paths || {})).catch(() => []);
  return capabilities.then(paths => paths.some(p => p.startsWith(prefix)));
}
