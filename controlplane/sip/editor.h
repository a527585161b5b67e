// Edits on a received message kept as an overlay on its unchanged buffer and written once
// (Kamailio "lumps"): unedited bytes are copied verbatim, so a message passes through unchanged
// except where an edit says otherwise. Content-Length is rewritten when the body changes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/header_table.h"
#include "controlplane/sip/message.h"

namespace sbc::cp::sip {

class MessageEditor {
 public:
  // The editor keeps a copy of the message (sharing its buffer).
  explicit MessageEditor(Message message);

  [[nodiscard]] const Message& message() const { return message_; }

  // Replaces the Request-URI (requests) or the whole start line.
  void set_request_uri(std::string uri);
  void set_start_line(std::string line);

  // Removes every field with this id / name (case-insensitive, compact forms resolved).
  // remove(HeaderId::kOther) removes every header the table does not know.
  void remove(HeaderId id);
  void remove(std::string_view name);
  // Removes the field at index i of message().headers().
  void remove_at(size_t index);
  // Replaces the value of the field at index i (the name is kept as written).
  void replace_at(size_t index, std::string value);
  // Replaces all fields with this id by one: the first keeps its position and name as written
  // and gets the new value, the others are removed. Appends "Canonical-Name: value" when none.
  // kOther is ignored (ambiguous; use replace_at).
  void replace(HeaderId id, std::string value);
  // Inserts a field before the first header (e.g. a new top Via) / after the last one.
  // Content-Length (and kOther / empty names) are ignored: serialize() writes the length.
  void prepend(HeaderId id, std::string value);
  void prepend(std::string name, std::string value);
  void append(HeaderId id, std::string value);
  void append(std::string name, std::string value);
  // Replaces the body; Content-Type is replaced too when content_type is not empty.
  void set_body(std::string body, std::string content_type = {});

  // Writes the edited message. Unedited header fields are copied as received (line ends
  // normalised to CRLF). Content-Length is rewritten (or added) when the body changed or no
  // Content-Length field survives the edits; otherwise it is kept as received.
  [[nodiscard]] std::string serialize() const;

 private:
  // Whether serialize() keeps the received Content-Length field.
  [[nodiscard]] bool keeps_received_length() const;

  struct FieldEdit {
    bool removed = false;
    std::optional<std::string> value;  // replacement value
  };

  Message message_;
  std::optional<std::string> start_line_;
  std::vector<FieldEdit> edits_;        // one per original header field
  std::vector<std::string> prepended_;  // complete "Name: value" lines
  std::vector<std::string> appended_;
  std::optional<std::string> body_;
};

}  // namespace sbc::cp::sip
