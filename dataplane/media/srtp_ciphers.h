// Allocation-free cipher and auth types for libsrtp, over OpenSSL. Debian's libsrtp2 is built on
// NSS, whose AES-CM, AES-GCM and HMAC-SHA1 set up a PK11 context per packet (28 heap allocations
// per protect + unprotect with AES-CM + HMAC-SHA1, 10 with AES-GCM). libsrtp lets a program replace
// the implementation behind a cipher or auth type id (srtp_replace_cipher_type /
// srtp_replace_auth_type); these replace SRTP_AES_ICM_128, SRTP_AES_GCM_128, SRTP_AES_GCM_256 and
// SRTP_HMAC_SHA1, which is every type the four suites of SrtpSuite use per packet.
//
// Allocation happens only in alloc() and init(), which libsrtp calls when it creates a session's
// keys (srtp_create, srtp_add_stream: the control thread); a stream cloned from the wildcard
// template shares its cipher and auth objects. Per packet:
//   - AES-ICM: counter mode over an AES-ECB EVP_CIPHER_CTX keyed in init(): set_iv only computes
//     the counter, encrypt is one EVP_EncryptUpdate over the counter blocks and an XOR (a new IV
//     on a CTR context would cost OpenSSL 3.0's parameter lookups on every packet).
//   - AES-GCM: set_iv is EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) on the same context;
//     AAD, data, tag through EVP_CipherUpdate / EVP_CipherFinal_ex / the AEAD tag ctrls.
//   - HMAC-SHA1: OpenSSL 3.0's EVP_MAC re-init and EVP_MD_CTX_copy duplicate the provider's digest
//     context on the heap, so HMAC is built from SHA1_Update/Final over SHA_CTX values: the
//     chaining values after the inner and outer padded-key blocks are computed once in init();
//     per packet a SHA_CTX is resumed from them (in the state or on the stack), never allocated.
//
// Every type carries a known-answer test case (libsrtp runs its self-test when a type is
// registered, and refuses a type without one): RFC 3711 B.2 (AES-CM), the GCM specification's test
// cases 4 and 16 (AES-GCM-128/256), RFC 2202 test case 1 (HMAC-SHA1).
#pragma once

#include <srtp2/srtp.h>

namespace sbc::dp {

// Registers the types above in libsrtp's crypto kernel; call after srtp_init, before any session
// is created. Returns the first libsrtp error, or srtp_err_status_ok.
srtp_err_status_t register_srtp_crypto();

}  // namespace sbc::dp
