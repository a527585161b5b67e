#include "controlplane/sip/parse_error.h"

namespace sbc::cp::sip {

std::string_view to_string(ParseError error) {
  switch (error) {
    case ParseError::kEmpty: return "empty";
    case ParseError::kMessageTooLarge: return "message_too_large";
    case ParseError::kTooManyHeaders: return "too_many_headers";
    case ParseError::kHeaderLineTooLong: return "header_line_too_long";
    case ParseError::kTooManyVias: return "too_many_vias";
    case ParseError::kBodyTooLarge: return "body_too_large";
    case ParseError::kNoHeaderEnd: return "no_header_end";
    case ParseError::kIncomplete: return "incomplete";
    case ParseError::kBodyTruncated: return "body_truncated";
    case ParseError::kInvalidCharacter: return "invalid_character";
    case ParseError::kBadStartLine: return "bad_start_line";
    case ParseError::kBadMethod: return "bad_method";
    case ParseError::kBadRequestUri: return "bad_request_uri";
    case ParseError::kBadVersion: return "bad_version";
    case ParseError::kBadStatusCode: return "bad_status_code";
    case ParseError::kBadHeaderLine: return "bad_header_line";
    case ParseError::kMissingHeader: return "missing_header";
    case ParseError::kDuplicateHeader: return "duplicate_header";
    case ParseError::kBadVia: return "bad_via";
    case ParseError::kBadNameAddr: return "bad_name_addr";
    case ParseError::kBadUri: return "bad_uri";
    case ParseError::kBadCallId: return "bad_call_id";
    case ParseError::kBadCSeq: return "bad_cseq";
    case ParseError::kCSeqMethodMismatch: return "cseq_method_mismatch";
    case ParseError::kBadMaxForwards: return "bad_max_forwards";
    case ParseError::kBadContentLength: return "bad_content_length";
    case ParseError::kBadContentType: return "bad_content_type";
    case ParseError::kBadExpires: return "bad_expires";
    case ParseError::kBadParameter: return "bad_parameter";
    case ParseError::kBadQuotedString: return "bad_quoted_string";
    case ParseError::kBadDate: return "bad_date";
    case ParseError::kBadOptionTag: return "bad_option_tag";
    case ParseError::kBadAllow: return "bad_allow";
    case ParseError::kBadCredentials: return "bad_credentials";
    case ParseError::kBadChallenge: return "bad_challenge";
    case ParseError::kBadSessionExpires: return "bad_session_expires";
    case ParseError::kBadMinSe: return "bad_min_se";
    case ParseError::kBadRSeq: return "bad_rseq";
    case ParseError::kBadRAck: return "bad_rack";
    case ParseError::kBadReason: return "bad_reason";
    case ParseError::kBadRetryAfter: return "bad_retry_after";
    case ParseError::kBadMultipart: return "bad_multipart";
    case ParseError::kTooManyParts: return "too_many_parts";
  }
  return "unknown";
}

}  // namespace sbc::cp::sip
