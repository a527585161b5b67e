#include "controlplane/security/digest_client.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "controlplane/security/digest_authenticator.h"
#include "controlplane/sip/auth.h"
#include "controlplane/sip/params.h"

namespace sbc::cp {
namespace {

struct Offer {
  sip::DigestChallenge challenge;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool qop_auth = false;
};

// A challenge we can answer: Digest, MD5 or SHA-256 (no -sess), qop absent or offering "auth".
std::optional<Offer> usable(const sip::DigestChallenge& c) {
  Offer offer{c, DigestAlgorithm::kMd5, false};
  if (sip::iequals(c.algorithm, "SHA-256")) {
    offer.algorithm = DigestAlgorithm::kSha256;
  } else if (!c.algorithm.empty() && !sip::iequals(c.algorithm, "MD5")) {
    return std::nullopt;
  }
  if (!c.qop.empty()) {
    offer.qop_auth = std::ranges::any_of(c.qop, [](const std::string& q) { return q == "auth"; });
    if (!offer.qop_auth) return std::nullopt;  // auth-int only
  }
  return offer;
}

}  // namespace

std::string_view to_string(ChallengeError error) {
  switch (error) {
    case ChallengeError::kNoChallenge: return "no challenge";
    case ChallengeError::kUnsupported: return "unsupported challenge";
    case ChallengeError::kMalformed: return "malformed challenge";
  }
  return "unknown";
}

std::expected<DigestAnswer, ChallengeError> answer_challenge(
    const sip::Message& response, std::string_view method, std::string_view uri,
    std::string_view username, std::string_view secret, std::string_view cnonce) {
  const bool proxy = response.status_code() == 407;
  const sip::HeaderId wanted =
      proxy ? sip::HeaderId::kProxyAuthenticate : sip::HeaderId::kWwwAuthenticate;
  std::optional<Offer> best;
  bool any = false;
  bool malformed = false;
  for (const sip::HeaderField& field : response.headers()) {
    if (field.id != wanted) continue;
    any = true;
    auto header = sip::parse_auth_header(field.value, sip::ParseError::kBadChallenge);
    if (!header || !header->is_digest()) {
      malformed |= !header;
      continue;
    }
    auto challenge = sip::digest_challenge(*header);
    if (!challenge) {
      malformed = true;
      continue;
    }
    auto offer = usable(*challenge);
    // SHA-256 over MD5 when both are offered (RFC 8760 §2.4: in the server's order of preference,
    // which lists the stronger first anyway).
    if (offer && (!best || (offer->algorithm == DigestAlgorithm::kSha256 &&
                            best->algorithm != DigestAlgorithm::kSha256))) {
      best = std::move(offer);
    }
  }
  if (!best) {
    if (!any) return std::unexpected(ChallengeError::kNoChallenge);
    return std::unexpected(malformed ? ChallengeError::kMalformed : ChallengeError::kUnsupported);
  }
  const sip::DigestChallenge& c = best->challenge;
  constexpr std::string_view kNc = "00000001";  // a fresh nonce per request: first use each time
  const std::string digest = digest_response(DigestInput{
      .algorithm = best->algorithm,
      .username = username,
      .realm = c.realm,
      .secret = secret,
      .method = method,
      .uri = uri,
      .nonce = c.nonce,
      .nc = best->qop_auth ? kNc : std::string_view(),
      .cnonce = best->qop_auth ? cnonce : std::string_view(),
      .qop = best->qop_auth ? "auth" : "",
  });
  std::string value = fmt::format(
      "Digest username={}, realm={}, nonce={}, uri={}, response=\"{}\", algorithm={}",
      sip::quoted_string(username), sip::quoted_string(c.realm), sip::quoted_string(c.nonce),
      sip::quoted_string(uri), digest, digest_algorithm_token(best->algorithm));
  if (best->qop_auth) {
    value += fmt::format(", qop=auth, nc={}, cnonce={}", kNc, sip::quoted_string(cnonce));
  }
  if (!c.opaque.empty()) value += fmt::format(", opaque={}", sip::quoted_string(c.opaque));
  return DigestAnswer{proxy ? sip::HeaderId::kProxyAuthorization : sip::HeaderId::kAuthorization,
                      std::move(value), c.stale};
}

}  // namespace sbc::cp
