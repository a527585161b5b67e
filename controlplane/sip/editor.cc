#include "controlplane/sip/editor.h"

#include <fmt/format.h>

namespace sbc::cp::sip {
namespace {

// Complete "Name: value" lines, each ended by CRLF.
void append_lines(std::string& out, const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    out += line;
    out += "\r\n";
  }
}

// The field as received: from its name to the end of its (possibly folded) value, with a fold's
// bare LF (accepted on input) written as CRLF for the strict peers downstream.
void append_received_field(std::string& out, const HeaderField& h) {
  const std::string_view field(
      h.name.data(), static_cast<size_t>(h.value.data() + h.value.size() - h.name.data()));
  for (size_t at = 0; at < field.size();) {
    const size_t lf = field.find('\n', at);
    if (lf == std::string_view::npos) {
      out += field.substr(at);
      break;
    }
    const size_t end = lf > at && field[lf - 1] == '\r' ? lf - 1 : lf;
    out += field.substr(at, end - at);
    out += "\r\n";
    at = lf + 1;
  }
}

}  // namespace

MessageEditor::MessageEditor(Message message)
    : message_(std::move(message)), edits_(message_.headers().size()) {}

void MessageEditor::set_request_uri(std::string uri) {
  if (!message_.is_request()) return;
  start_line_ = fmt::format("{} {} SIP/2.0", message_.method_text(), uri);
}

void MessageEditor::set_start_line(std::string line) {
  start_line_ = std::move(line);
}

void MessageEditor::remove(HeaderId id) {
  const auto headers = message_.headers();
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i].id == id) edits_[i].removed = true;
  }
}

void MessageEditor::remove(std::string_view name) {
  const HeaderId id = header_id(name);
  if (id != HeaderId::kOther) return remove(id);
  const auto headers = message_.headers();
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i].id == HeaderId::kOther && iequals(headers[i].name, name)) {
      edits_[i].removed = true;
    }
  }
}

void MessageEditor::remove_at(size_t index) {
  if (index < edits_.size()) edits_[index].removed = true;
}

void MessageEditor::replace_at(size_t index, std::string value) {
  if (index < edits_.size()) {
    edits_[index].removed = false;
    edits_[index].value = std::move(value);
  }
}

void MessageEditor::replace(HeaderId id, std::string value) {
  if (id == HeaderId::kOther) return;  // ambiguous: no single header to replace
  const auto headers = message_.headers();
  bool replaced = false;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i].id != id || edits_[i].removed) continue;
    if (!replaced) {
      edits_[i].value = std::move(value);
      replaced = true;
    } else {
      edits_[i].removed = true;
    }
  }
  if (!replaced) append(id, std::move(value));
}

void MessageEditor::prepend(HeaderId id, std::string value) {
  prepend(std::string(header_name(id)), std::move(value));
}

void MessageEditor::prepend(std::string name, std::string value) {
  if (name.empty() || header_id(name) == HeaderId::kContentLength) return;
  prepended_.insert(prepended_.begin(), fmt::format("{}: {}", name, value));
}

void MessageEditor::append(HeaderId id, std::string value) {
  append(std::string(header_name(id)), std::move(value));
}

void MessageEditor::append(std::string name, std::string value) {
  if (name.empty() || header_id(name) == HeaderId::kContentLength) return;
  appended_.push_back(fmt::format("{}: {}", name, value));
}

void MessageEditor::set_body(std::string body, std::string content_type) {
  body_ = std::move(body);
  if (!content_type.empty()) replace(HeaderId::kContentType, std::move(content_type));
}

std::string MessageEditor::serialize() const {
  const auto headers = message_.headers();
  const bool keep_length = keeps_received_length();
  const std::string_view body = body_ ? std::string_view(*body_) : message_.body();

  std::string out;
  out.reserve(message_.raw().size() + 256);
  out += start_line_ ? std::string_view(*start_line_) : message_.start_line();
  out += "\r\n";
  append_lines(out, prepended_);
  for (size_t i = 0; i < headers.size(); ++i) {
    const HeaderField& h = headers[i];
    if (edits_[i].removed) continue;
    if (h.id == HeaderId::kContentLength && !keep_length) continue;
    if (edits_[i].value) {
      out += h.name;
      out += ": ";
      out += *edits_[i].value;
    } else {
      append_received_field(out, h);
    }
    out += "\r\n";
  }
  append_lines(out, appended_);
  if (!keep_length) {
    out += "Content-Length: ";
    out += std::to_string(body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

// Keep the received Content-Length only if the body is unchanged and one survives the edits.
bool MessageEditor::keeps_received_length() const {
  if (body_.has_value()) return false;
  const auto headers = message_.headers();
  bool keep_length = false;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (headers[i].id == HeaderId::kContentLength && !edits_[i].removed &&
        !edits_[i].value.has_value()) {
      keep_length = true;
    }
  }
  return keep_length;
}

}  // namespace sbc::cp::sip
