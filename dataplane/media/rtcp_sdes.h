// Topology hiding for RTCP (RFC 3550 §6.5): the SDES items of a relayed compound packet are
// masked in place. Endpoints fill them with who and where they are (baresip's CNAME is
// "sip:user@<its own address>", others put user@host, a display name, a phone number); the SBC
// hides the far side's topology in SIP and SDP, and these would carry it across in RTCP.
//
// Each item keeps its type and length (no byte moves: SRTCP re-protects the same length, the
// compound's lengths stay valid). Its text becomes hex digits of a hash of the original text, so a
// CNAME stays stable and distinct per participant (what RFC 3550 asks of it) without saying
// anything. Walked from untrusted bytes: every length is checked against what is left, and a
// malformed packet is left as it is (relayed or dropped by the rules for any RTCP).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sbc::dp {

// Masks every SDES item of the compound RTCP packet `data[0, len)`; true when any byte changed.
bool mask_rtcp_sdes(uint8_t* data, size_t len) noexcept;

}  // namespace sbc::dp
