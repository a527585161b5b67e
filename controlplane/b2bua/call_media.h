// The B2BUA's side of media: a call's MediaSession (media/) opened on the zones' dataplane
// ports, the SDP it may anchor, the dataplane session programmed and its reply, the media
// timeout, and the resync and reconcile after a dataplane (re)connect.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <utility>

#include "controlplane/b2bua/b2bua_context.h"
#include "controlplane/b2bua/call_teardown.h"
#include "controlplane/media/codec_negotiation.h"
#include "controlplane/media/dataplane_resync.h"
#include "controlplane/media/sdp_anchor.h"
#include "controlplane/media/sdp_body.h"
#include "controlplane/media/srtp_negotiation.h"

namespace sbc::cp {

// The offer of a new call: parsed once, with the stream it is anchored on, and that stream's
// transport on each side (srtp_negotiation.h): the caller's as accepted, ours toward the callee.
struct CallOffer {
  SdpBody sdp;
  AudioEndpoint audio;
  CallerMedia caller;
  CalleeOffer callee;
  std::optional<CodecOffer> codecs;  // unset: formats pass as offered (codec_negotiation.h)
};

// What the caller's offered stream negotiated: its profile and SRTP, ours toward the callee, and
// the codecs when the sides negotiate them.
struct NegotiatedOffer {
  CallerMedia caller;
  CalleeOffer callee;
  std::optional<CodecOffer> codecs;
};

// A response refusing a new call.
struct CallRefusal {
  int code;
  std::string reason;  // "": the code's default reason phrase
};

class CallMedia {
 public:
  CallMedia(const B2buaContext& ctx, CallTeardown& teardown);

  // A description's anchored stream, when sbcd can anchor it: IPv4 audio at an address the
  // media policy allows; the reason otherwise.
  std::expected<AudioEndpoint, std::string> usable_audio(const sip::SessionDescription& sdp);
  // The caller's offered stream against the caller side's policy, and our offer toward the
  // callee side's (profile, keys, codecs: transcoding candidates only when the dataplane has
  // transcoding capacity); a refusal is counted (sbc_media_refused_total) and logged (never the
  // keys).
  std::expected<NegotiatedOffer, MediaRefusal> negotiate_offer(uint64_t call_ref,
                                                               const sip::SdpMedia& offer,
                                                               const MediaPolicy& caller,
                                                               const MediaPolicy& callee);
  // The callee's answer to our offer; a refusal is counted and logged.
  std::expected<void, MediaRefusal> accept_answer(Call& call, const sip::SdpMedia& answer);
  // The call's media session (ports on both sides) and the offer as the callee sees it.
  std::expected<std::string, CallRefusal> open_media(Call& call, const CallOffer& offer);
  // (Re)programs the call's dataplane session as the call is now; a refusal fails the call.
  // `accepted`, if given, runs once the dataplane accepted the session (a transcoded call's 2xx
  // waits for it); then an unreachable dataplane fails the call too (503), as nothing would
  // carry its media.
  void program_session(const CallPtr& call, std::function<void()> accepted = {});
  void on_media_timeout(const api::MediaTimeoutEvent& event);
  // Queues on `resync` every live session to program again, the retired sessions' deletes and
  // the reconcile (see B2bua::on_dataplane_up).
  void on_dataplane_up(DataplaneResync& resync);
  void update_media_stats(const api::SessionInfo& info);

 private:
  // The dataplane port table entry of a zone's dataplane port; nullptr (logged) when it has none.
  const api::PortInfo* media_port(size_t zone) const;
  [[nodiscard]] api::SessionAdd session_spec(const Call& call) const;
  void on_session_reply(const CallPtr& call, const DataplaneClient::Reply& reply,
                        const std::function<void()>& accepted);
  // Deletes, page by page of the dataplane's dump, every session no live call owns.
  void reconcile(DataplaneResync& resync);
  [[nodiscard]] bool owns_session(uint64_t id) const;

  const B2buaContext& ctx_;
  CallTeardown& teardown_;
};

}  // namespace sbc::cp
