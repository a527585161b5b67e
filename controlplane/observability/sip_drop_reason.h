// Why sbcd dropped a SIP message, or refused it before any transaction (the reason label of
// sbc_sip_dropped_total); a message that does not parse is counted under its sip::ParseError name.
// Defined once with its name table, like the dataplane's drop reasons
// (dataplane/fastpath/counters.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sbc::cp {

enum class SipDropReason : uint8_t {
  kUnanswerable,         // a request no response could reach (no usable Via, CSeq, ...)
  kMalformedAck,         // an ACK failing the request checks (nothing may answer an ACK)
  kStrayAck,             // an ACK matching no call, transaction or ended call
  kBadVia,               // a request whose top Via yields no transaction key
  kTransactionConflict,  // a request sharing a server transaction's key, another To tag
  kTransactionLimit,     // the server transaction table is full (503 sent statelessly)
  kStrayResponse,        // a response matching no transaction, dialog or ended call
  kBadResponse,          // a response without Call-ID, CSeq, Via or To, or with another Call-ID
  kNoServerTransaction,  // a response of ours whose server transaction is gone: not sent
  kResponseOutOfState,   // a response of ours its server transaction may not send now
  kUnknownTrunkSource,   // on a trunk zone, from no configured trunk host (403, ACK dropped)
  kSourceNotAllowed,     // a source the zone's configuration does not allow (403, ACK dropped)
  kCount,
};
inline constexpr size_t kSipDropReasonCount = static_cast<size_t>(SipDropReason::kCount);

inline constexpr std::array<std::string_view, kSipDropReasonCount> kSipDropReasonNames = {
    "unanswerable",
    "malformed_ack",
    "stray_ack",
    "bad_via",
    "transaction_conflict",
    "transaction_limit",
    "stray_response",
    "bad_response",
    "no_server_transaction",
    "response_out_of_state",
    "unknown_trunk_source",
    "source_not_allowed",
};
static_assert(kSipDropReasonNames.back() == "source_not_allowed",
              "kSipDropReasonNames must follow enum SipDropReason");

constexpr std::string_view to_string(SipDropReason reason) {
  return kSipDropReasonNames[static_cast<size_t>(reason)];
}

}  // namespace sbc::cp
