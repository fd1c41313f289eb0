#ifndef ASYNCGATE_CCRYPTO_SHIM_H
#define ASYNCGATE_CCRYPTO_SHIM_H
// Only what AsyncGate needs from OpenSSL's libcrypto: one-shot SHA-256 and the CSPRNG.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stddef.h>

/// SHA-256 of `len` bytes into `out` (32 bytes). Returns 1 on success.
static inline int ag_sha256(const void *data, size_t len, unsigned char *out) {
    unsigned int outLen = 0;
    return EVP_Digest(data, len, out, &outLen, EVP_sha256(), NULL) == 1 && outLen == 32;
}

/// Cryptographically secure random bytes. Returns 1 on success.
static inline int ag_random_bytes(unsigned char *out, int len) {
    return RAND_bytes(out, len);
}
#endif
