#include "api/mgmt_protocol.h"

#include <utility>

namespace sbc::api {
namespace {

using nlohmann::json;

// dump() that cannot throw: invalid UTF-8 (say, a User-Agent echoed in `show calls`) becomes
// U+FFFD instead of an exception.
std::string dump_line(const json& value) {
  std::string line = value.dump(-1, ' ', false, json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

std::string_view strip_newline(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate socat's crlf
  return line;
}

std::expected<json, std::string> parse_object(std::string_view line, size_t max_size) {
  if (line.size() > max_size) {
    return std::unexpected("message of " + std::to_string(line.size()) +
                           " bytes exceeds the limit of " + std::to_string(max_size));
  }
  json value = json::parse(strip_newline(line), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::unexpected("malformed JSON");
  if (!value.is_object()) return std::unexpected("message is not a JSON object");
  return value;
}

// Reads the optional "id" member.
std::expected<uint64_t, std::string> read_id(const json& message) {
  auto it = message.find("id");
  if (it == message.end() || it->is_null()) return 0;
  if (!it->is_number_unsigned()) return std::unexpected("\"id\" must be an unsigned integer");
  return it->get<uint64_t>();
}

// Reads an optional string member; nullopt when absent.
std::expected<std::optional<std::string>, std::string> read_string(const json& message,
                                                                   const char* name) {
  auto it = message.find(name);
  if (it == message.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return std::unexpected(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

std::string_view to_string(OutputFormat format) {
  switch (format) {
    case OutputFormat::kText: return "text";
    case OutputFormat::kJson: return "json";
  }
  return "text";
}

MgmtReply MgmtReply::success(uint64_t id, std::string text, nlohmann::json data) {
  MgmtReply reply;
  reply.id = id;
  reply.ok = true;
  reply.text = std::move(text);
  reply.data = std::move(data);
  return reply;
}

MgmtReply MgmtReply::failure(uint64_t id, std::string error) {
  MgmtReply reply;
  reply.id = id;
  reply.ok = false;
  reply.error = std::move(error);
  return reply;
}

std::expected<std::string, std::string> encode_request(const MgmtRequest& request) {
  if (request.command.empty()) return std::unexpected("request has no command words");
  json message = {
      {"id", request.id},
      {"command", request.command},
      {"format", to_string(request.format)},
  };
  std::string line = dump_line(message);
  if (line.size() > kMaxRequestSize) {
    return std::unexpected("request of " + std::to_string(line.size()) +
                           " bytes exceeds the limit of " + std::to_string(kMaxRequestSize));
  }
  return line;
}

std::expected<std::string, std::string> encode_reply(const MgmtReply& reply) {
  json message = {{"id", reply.id}, {"ok", reply.ok}};
  if (reply.ok) {
    if (!reply.text.empty()) message["text"] = reply.text;
    if (!reply.data.is_null()) message["data"] = reply.data;
  } else {
    message["error"] = reply.error;
  }
  std::string line = dump_line(message);
  if (line.size() > kMaxReplySize) {
    return std::unexpected("reply of " + std::to_string(line.size()) +
                           " bytes exceeds the limit of " + std::to_string(kMaxReplySize));
  }
  return line;
}

std::expected<MgmtRequest, std::string> decode_request(std::string_view line) {
  auto message = parse_object(line, kMaxRequestSize);
  if (!message) return std::unexpected(message.error());
  MgmtRequest request;
  auto id = read_id(*message);
  if (!id) return std::unexpected(id.error());
  request.id = *id;

  auto command = message->find("command");
  if (command == message->end() || !command->is_array() || command->empty()) {
    return std::unexpected("\"command\" must be a non-empty array of strings");
  }
  request.command.reserve(command->size());
  for (const json& word : *command) {
    if (!word.is_string())
      return std::unexpected("\"command\" must be a non-empty array of strings");
    request.command.push_back(word.get<std::string>());
  }

  auto format = read_string(*message, "format");
  if (!format) return std::unexpected(format.error());
  if (!*format || **format == "text") {
    request.format = OutputFormat::kText;
  } else if (**format == "json") {
    request.format = OutputFormat::kJson;
  } else {
    return std::unexpected("\"format\" must be \"text\" or \"json\", not \"" + **format + "\"");
  }
  return request;
}

std::expected<MgmtReply, std::string> decode_reply(std::string_view line) {
  auto message = parse_object(line, kMaxReplySize);
  if (!message) return std::unexpected(message.error());
  MgmtReply reply;
  auto id = read_id(*message);
  if (!id) return std::unexpected(id.error());
  reply.id = *id;

  auto ok = message->find("ok");
  if (ok == message->end() || !ok->is_boolean()) return std::unexpected("\"ok\" must be a boolean");
  reply.ok = ok->get<bool>();

  auto text = read_string(*message, "text");
  if (!text) return std::unexpected(text.error());
  reply.text = text->value_or("");
  auto error = read_string(*message, "error");
  if (!error) return std::unexpected(error.error());
  reply.error = error->value_or("");
  if (!reply.ok && reply.error.empty()) return std::unexpected("failed reply without \"error\"");

  if (auto data = message->find("data"); data != message->end()) reply.data = std::move(*data);
  return reply;
}

std::expected<std::optional<std::string>, std::string> LineFramer::next() {
  auto too_long = [this] {
    failed_ = true;
    return std::unexpected("line exceeds the limit of " + std::to_string(max_line_size_) +
                           " bytes");
  };
  if (failed_) return too_long();

  std::string_view pending(buffer_.data() + consumed_, buffer_.size() - consumed_);
  size_t newline = pending.find('\n');
  if (newline == std::string_view::npos) {
    // Keep the unread tail at the front so the buffer never holds more than one partial line
    // plus the last read.
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    if (buffer_.size() >= max_line_size_) return too_long();
    return std::nullopt;
  }
  if (newline + 1 > max_line_size_) return too_long();
  std::string line(pending.substr(0, newline));
  consumed_ += newline + 1;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return line;
}

}  // namespace sbc::api
