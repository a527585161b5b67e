#include "dataplane/tables/session_srtp.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string>

#include "dataplane/media/srtp_key.h"
#include "dataplane/media/srtp_suite.h"

namespace sbc::dp {
namespace {

api::Result refuse(api::Status status, size_t leg, const char* direction, std::string why) {
  return {status, fmt::format("leg {} {}: {}", leg, direction, why)};
}

SrtpOptions options_of(const api::SrtpParams& params) {
  SrtpOptions options;
  if (params.replay_window != 0) {
    // libsrtp takes at most 0x7fff; the protocol allows 0x8000.
    options.replay_window = static_cast<uint16_t>(std::min<uint32_t>(params.replay_window, 0x7fff));
  }
  // Room for the announced SSRCs and a few unannounced ones (a restarted sender picks a new one).
  options.max_ssrcs = static_cast<uint8_t>(std::min<size_t>(
      std::max<size_t>(params.ssrc_count + 4u, SrtpOptions{}.max_ssrcs), kMaxSrtpSsrcs));
  return options;
}

// One context of type T (SrtpInbound / SrtpOutbound) for `params`.
template <typename T>
std::expected<std::shared_ptr<T>, api::Result> create_context(const SrtpLibrary& library,
                                                              const api::SrtpParams& params,
                                                              size_t leg, const char* direction) {
  const std::optional<SrtpSuite> suite = srtp_suite_from_name(api::to_string(params.suite));
  if (!suite) return std::unexpected(refuse(api::Status::kUnsupported, leg, direction, "suite"));
  auto key = SrtpMasterKey::create(*suite, params.key.bytes());
  if (!key) {
    return std::unexpected(
        refuse(api::Status::kInvalid, leg, direction, "key length does not match the suite"));
  }
  const std::span<const uint32_t> ssrcs(params.ssrcs.data(), params.ssrc_count);
  auto context = T::create(library, *key, options_of(params), ssrcs);
  if (!context) {
    return std::unexpected(
        refuse(api::Status::kInvalid, leg, direction,
               fmt::format("cannot create the SRTP context ({})", to_string(context.error()))));
  }
  return std::make_shared<T>(std::move(*context));
}

// One direction of one leg, both kinds: keep the previous contexts or build new ones.
template <typename T>
std::expected<void, api::Result> build_direction(
    const SrtpLibrary* library, std::optional<api::SrtpParams>& params,
    const std::optional<api::SrtpParams>* previous_params,
    const std::array<std::shared_ptr<T>, 2>* previous_owner,
    std::array<std::shared_ptr<T>, 2>& owner, size_t leg, const char* direction) {
  if (!params) return {};
  const bool had = previous_params && previous_params->has_value() && previous_owner &&
                   (*previous_owner)[0] != nullptr;
  if (params->key.empty()) {
    if (!had) {
      return std::unexpected(refuse(api::Status::kInvalid, leg, direction,
                                    "empty key (keep) but no SRTP context to keep"));
    }
    if ((*previous_params)->suite != params->suite) {
      return std::unexpected(
          refuse(api::Status::kInvalid, leg, direction, "empty key (keep) with another suite"));
    }
    params = **previous_params;  // the stored spec names the params in use
    owner = *previous_owner;
    return {};
  }
  if (had && **previous_params == *params) {
    owner = *previous_owner;  // unchanged: rollover counter and replay window continue
    return {};
  }
  if (!library) {
    return std::unexpected(
        refuse(api::Status::kUnsupported, leg, direction, "SRTP is not available"));
  }
  for (size_t kind = 0; kind < 2; ++kind) {
    auto context = create_context<T>(*library, *params, leg, direction);
    if (!context) return std::unexpected(context.error());
    owner[kind] = std::move(*context);
  }
  return {};
}

}  // namespace

std::expected<std::unique_ptr<SessionSrtp>, api::Result> build_session_srtp(
    const SrtpLibrary* library, api::SessionAdd& add, const api::SessionAdd* previous_spec,
    const SessionSrtp* previous) {
  bool any = false;
  for (const api::LegSpec& leg : add.legs) any = any || leg.srtp_in || leg.srtp_out;
  if (!any) return nullptr;
  auto next = std::make_unique<SessionSrtp>();
  for (size_t leg = 0; leg < 2; ++leg) {
    api::LegSpec& spec = add.legs[leg];
    const api::LegSpec* old = previous_spec ? &previous_spec->legs[leg] : nullptr;
    if (auto ok = build_direction<SrtpInbound>(library, spec.srtp_in, old ? &old->srtp_in : nullptr,
                                               previous ? &previous->in_owner[leg] : nullptr,
                                               next->in_owner[leg], leg, "srtp_in");
        !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = build_direction<SrtpOutbound>(
            library, spec.srtp_out, old ? &old->srtp_out : nullptr,
            previous ? &previous->out_owner[leg] : nullptr, next->out_owner[leg], leg, "srtp_out");
        !ok) {
      return std::unexpected(ok.error());
    }
    for (size_t kind = 0; kind < 2; ++kind) {
      next->in[leg][kind] = next->in_owner[leg][kind].get();
      next->out[leg][kind] = next->out_owner[leg][kind].get();
    }
  }
  return next;
}

}  // namespace sbc::dp
