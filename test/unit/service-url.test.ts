/** serviceUrl: where this machine reaches the service, whatever host it listens on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceUrl } from '../../src/service-url.ts';

describe('serviceUrl', () => {
  it('a wildcard host becomes the loopback address', () => {
    assert.equal(serviceUrl({ host: '0.0.0.0', port: 8000 }), 'http://127.0.0.1:8000');
    assert.equal(serviceUrl({ host: '::', port: 8000 }), 'http://127.0.0.1:8000');
    assert.equal(serviceUrl({ host: '[::]', port: 8000 }), 'http://127.0.0.1:8000');
    assert.equal(serviceUrl({ host: '', port: '9000' }), 'http://127.0.0.1:9000');
  });

  it('an IPv6 literal is bracketed, once', () => {
    assert.equal(serviceUrl({ host: '::1', port: 8000 }), 'http://[::1]:8000');
    assert.equal(serviceUrl({ host: '[::1]', port: 8000 }), 'http://[::1]:8000');
  });

  it('a name or an IPv4 address is kept as it is', () => {
    assert.equal(serviceUrl({ host: '127.0.0.1', port: 8000 }), 'http://127.0.0.1:8000');
    assert.equal(serviceUrl({ host: 'localhost', port: 8123 }), 'http://localhost:8123');
    assert.equal(serviceUrl({ host: '10.0.0.5', port: 80 }), 'http://10.0.0.5:80');
  });

  it('makes a URL that fetch accepts', () => {
    for (const host of ['0.0.0.0', '::', '::1', 'localhost']) assert.doesNotThrow(() => new URL('/health', serviceUrl({ host, port: 8000 })), host);
  });
});
