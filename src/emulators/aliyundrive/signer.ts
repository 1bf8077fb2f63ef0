// Pre-signed storage URLs, in the style of OSS query-string signatures (V1):
//   <path>?Expires=<unix seconds>&OSSAccessKeyId=<id>&Signature=<base64 HMAC-SHA1>
// The URL is the credential: no Authorization header is needed (or wanted).
//
// As on OSS the string to sign holds the HTTP verb, Content-MD5 and
// Content-Type next to the expiry and the path, and was computed with the
// latter two empty. So a request that adds a Content-Type (or Content-MD5),
// or uses another method (HEAD on a GET URL), fails with 403
// SignatureDoesNotMatch — which is why clients must PUT parts with no
// Content-Type and probe sizes with `Range: bytes=0-0` instead of HEAD.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { OssError, ossBadSignature, ossExpired } from './errors.js';

export class UrlSigner {
  private readonly key = randomBytes(32);
  readonly accessKeyId = 'LTAI' + randomBytes(10).toString('hex').slice(0, 20).toUpperCase();

  /** Query string for `path` valid until `expiresSec` (unix seconds) for `method`. */
  sign(method: string, path: string, expiresSec: number, extraQuery = ''): string {
    const sig = this.signature(method, '', '', expiresSec, path);
    const q = `Expires=${expiresSec}&OSSAccessKeyId=${this.accessKeyId}&Signature=${encodeURIComponent(sig)}`;
    return `${path}?${q}${extraQuery ? `&${extraQuery}` : ''}`;
  }

  /** Throws the OSS error a real bucket would answer; returns the expiry (unix s) when valid. */
  verify(req: IncomingMessage, path: string, query: URLSearchParams): number {
    const expires = Number(query.get('Expires'));
    const given = query.get('Signature');
    if (!Number.isInteger(expires) || !given || query.get('OSSAccessKeyId') !== this.accessKeyId) {
      throw new OssError(403, 'AccessDenied', 'AccessDenied: the URL is not pre-signed.');
    }
    if (Date.now() / 1000 >= expires) throw ossExpired(expires);
    const header = (h: string): string => {
      const v = req.headers[h];
      return (Array.isArray(v) ? v[0] : v) ?? '';
    };
    const want = Buffer.from(this.signature(req.method ?? 'GET', header('content-md5'), header('content-type'), expires, path));
    const got = Buffer.from(given);
    if (got.length !== want.length || !timingSafeEqual(got, want)) throw ossBadSignature();
    return expires;
  }

  private signature(method: string, md5: string, contentType: string, expires: number, path: string): string {
    const toSign = `${method}\n${md5}\n${contentType}\n${expires}\n${path}`;
    return createHmac('sha1', this.key).update(toSign).digest('base64');
  }
}

/** Unix seconds at least `ttlSec` from now. */
export const expiryIn = (ttlSec: number): number => Math.ceil((Date.now() + ttlSec * 1000) / 1000);
