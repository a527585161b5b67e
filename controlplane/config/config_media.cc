// The media policy keys of zones and trunks: media_profile, srtp_suites, codecs and dtmf
// (media_policy.h).
#include <algorithm>

#include "controlplane/config/config_parse.h"

namespace sbc::cp::config_detail {
namespace {

const std::vector<std::string> kMediaPolicyKeys = {"media_profile", "srtp_suites", "codecs",
                                                   "dtmf"};

// `srtp_suites = AES_CM_128_HMAC_SHA1_80, AEAD_AES_256_GCM`: each once, at least one.
std::expected<std::vector<sip::SdesSuite>, std::string> suites_of(const std::string& text,
                                                                  const std::string& option) {
  auto list = split_list(text, option);
  if (!list) return std::unexpected(list.error());
  std::vector<sip::SdesSuite> suites;
  for (const std::string& item : *list) {
    auto suite = sip::sdes_suite_from_name(item);
    if (!suite) {
      return std::unexpected(
          fmt::format("{}: '{}' is not one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
                      "AEAD_AES_128_GCM, AEAD_AES_256_GCM",
                      option, item));
    }
    if (std::ranges::find(suites, *suite) != suites.end()) {
      return std::unexpected(fmt::format("{}: {} is listed twice", option, item));
    }
    suites.push_back(*suite);
  }
  return suites;
}

// `codecs = PCMU, PCMA, G722, opus, G729`: each once, at least one.
std::expected<std::vector<api::MediaCodec>, std::string> codecs_of(const std::string& text,
                                                                   const std::string& option) {
  auto list = split_list(text, option);
  if (!list) return std::unexpected(list.error());
  std::vector<api::MediaCodec> codecs;
  for (const std::string& item : *list) {
    auto codec = api::media_codec_from_name(item);
    if (!codec) {
      return std::unexpected(
          fmt::format("{}: '{}' is not one of PCMU, PCMA, G722, opus, G729", option, item));
    }
    if (std::ranges::find(codecs, *codec) != codecs.end()) {
      return std::unexpected(fmt::format("{}: {} is listed twice", option, item));
    }
    codecs.push_back(*codec);
  }
  return codecs;
}

// One section's keys into `out` (a zone's policy or a trunk's override).
std::expected<void, std::string> read_keys(const Values& v, const std::string& prefix,
                                           MediaPolicyOverride& out) {
  if (auto r = choice(v, prefix + "media_profile", parse_media_profile, "rtp, srtp, as-offered",
                      out.profile);
      !r) {
    return r;
  }
  if (auto text = v.get(prefix + "srtp_suites")) {
    auto suites = suites_of(*text, prefix + "srtp_suites");
    if (!suites) return std::unexpected(suites.error());
    out.srtp_suites = std::move(*suites);
  }
  if (auto text = v.get(prefix + "codecs")) {
    auto codecs = codecs_of(*text, prefix + "codecs");
    if (!codecs) return std::unexpected(codecs.error());
    out.codecs = std::move(*codecs);
  }
  return choice(v, prefix + "dtmf", parse_dtmf_mode, "rfc4733, inband, as-offered", out.dtmf);
}

}  // namespace

void add_media_policy_options(po::options_description& desc, const std::set<std::string>& zones,
                              const std::set<std::string>& trunks) {
  auto add = [&](const std::string& name) {
    desc.add_options()(name.c_str(), po::value<std::string>());
  };
  for (const auto& z : zones) {
    for (const auto& k : kMediaPolicyKeys) add("zone." + z + "." + k);
  }
  for (const auto& t : trunks) {
    for (const auto& k : kMediaPolicyKeys) add("trunk." + t + "." + k);
  }
}

std::expected<void, std::string> read_media_policies(const Values& v, Config& config) {
  for (ZoneConfig& zone : config.zones) {
    MediaPolicyOverride keys;
    if (auto r = read_keys(v, "zone." + zone.name + ".", keys); !r) return r;
    zone.media = keys.over(zone.media);
  }
  for (TrunkConfig& trunk : config.trunks) {
    if (auto r = read_keys(v, "trunk." + trunk.name + ".", trunk.media); !r) return r;
  }
  return {};
}

}  // namespace sbc::cp::config_detail
