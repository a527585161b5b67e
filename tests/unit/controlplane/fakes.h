// Test doubles for the B2BUA: a hand-driven clock, a SIP transport that records what is sent and a
// dataplane that answers requests when the test says so.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/media/dataplane_client.h"
#include "controlplane/runtime/scheduler.h"
#include "controlplane/transport/sip_transport.h"

namespace sbc::cp::testing {

class FakeScheduler final : public Scheduler {
 public:
  [[nodiscard]] Clock::time_point now() const override { return now_; }
  [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ -
                                                                           Clock::time_point());
  }
  TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) override {
    const TimerId id = next_id_++;
    timers_.emplace(id, Timer{now_ + delay, std::move(fn)});
    return id;
  }
  void cancel(TimerId id) override { timers_.erase(id); }

  // Moves time forward, firing due timers in deadline order (ties: creation order).
  void advance(std::chrono::milliseconds delta) {
    const Clock::time_point end = now_ + delta;
    for (;;) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.deadline <= end &&
            (next == timers_.end() || it->second.deadline < next->second.deadline)) {
          next = it;
        }
      }
      if (next == timers_.end()) break;
      now_ = std::max(now_, next->second.deadline);
      auto fn = std::move(next->second.fn);
      timers_.erase(next);
      fn();
    }
    now_ = end;
  }
  [[nodiscard]] size_t pending() const { return timers_.size(); }

 private:
  struct Timer {
    Clock::time_point deadline;
    std::function<void()> fn;
  };
  Clock::time_point now_{std::chrono::hours(1)};
  TimerId next_id_ = 1;
  std::map<TimerId, Timer> timers_;
};

struct SentDatagram {
  size_t zone;
  Endpoint to;
  std::string data;
  SipPeer peer;  // everything the B2BUA said about where it goes
};

// Records what the B2BUA sends. Every zone listens on UDP, TCP and TLS at its address (5060, 5060,
// 5061), as given by `listen`.
class FakeTransport final : public SipTransport {
 public:
  void send(const SipPeer& to, std::string_view data) override {
    sent.push_back({to.zone, to.remote, std::string(data), to});
  }
  [[nodiscard]] std::optional<Endpoint> local_endpoint(size_t zone,
                                                       Transport transport) const override {
    if (zone >= listen.size()) return std::nullopt;
    return Endpoint(listen[zone], transport == Transport::kTls ? 5061 : 5060);
  }
  std::vector<boost::asio::ip::address> listen = {boost::asio::ip::make_address("192.0.2.1"),
                                                  boost::asio::ip::make_address("198.51.100.1")};
  std::deque<SentDatagram> sent;
};

class FakeDataplane final : public DataplaneClient {
 public:
  FakeDataplane() {
    api::PortInfo access;
    access.index = 0;
    access.name = "access";
    access.address = api::Address::parse("192.0.2.1");
    api::PortInfo trunk;
    trunk.index = 1;
    trunk.name = "trunk";
    trunk.address = api::Address::parse("198.51.100.1");
    ports_ = {access, trunk};
  }

  [[nodiscard]] bool connected() const override { return connected_; }
  [[nodiscard]] const std::vector<api::PortInfo>& ports() const override { return ports_; }
  [[nodiscard]] uint32_t max_sessions() const override { return max_sessions_reported; }
  [[nodiscard]] uint32_t max_transcoded_sessions() const override {
    return max_transcoded_sessions_reported;
  }
  [[nodiscard]] size_t max_message_size() const override { return max_message; }
  void request(api::Message message, ReplyHandler handler) override {
    if (const auto* batch = std::get_if<api::Batch>(&message)) {
      // `requests` lists what was asked item by item, batched or not.
      ++batches;
      largest_batch = std::max(largest_batch, batch->items.size());
      if (auto bytes = api::encode(1, message)) {
        largest_message = std::max(largest_message, bytes->size());
      }
      for (const auto& item : batch->items) requests.push_back(api::to_message(item));
    } else {
      requests.push_back(message);
    }
    if (max_pending != 0 && queued_.size() >= max_pending) {
      // As UnixDataplaneClient does past kMaxPending: refused, answered on the next flush.
      ++overloaded;
      refused_.push_back(std::move(handler));
      return;
    }
    queued_.push_back({std::move(message), std::move(handler)});
    peak_pending = std::max(peak_pending, queued_.size());
  }
  void set_timeout_handler(TimeoutHandler handler) override { on_timeout = std::move(handler); }
  void set_connection_handler(ConnectionHandler) override {}

  // Answers every queued request (and those the answers cause) like the real dataplane: a
  // session whose local port another session holds is refused with kConflict (as
  // dataplane/session_table.cc does), dumps page by session id.
  // `limit`: answer at most that many requests (a dataplane slower than sbcd).
  void flush(size_t limit = SIZE_MAX) {
    for (size_t answered = 0; answered < limit && (!queued_.empty() || !refused_.empty());
         ++answered) {
      if (!refused_.empty()) {
        auto handler = std::move(refused_.front());
        refused_.pop_front();
        handler(std::unexpected(DataplaneError::kOverloaded));
        continue;
      }
      auto [message, handler] = std::move(queued_.front());
      queued_.pop_front();
      if (time_out > 0) {
        --time_out;
        handler(std::unexpected(DataplaneError::kTimeout));
      } else if (!connected_) {
        handler(std::unexpected(DataplaneError::kDisconnected));
      } else if (std::holds_alternative<api::Batch>(message) && batch_refusal) {
        handler(api::Message(*batch_refusal));
      } else if (const auto* batch = std::get_if<api::Batch>(&message)) {
        // As dataplane/control_service.cc: each item on its own, one Result each.
        api::BatchReply reply;
        for (const auto& item : batch->items) reply.results.push_back(apply(api::to_message(item)));
        handler(api::Message(reply));
      } else if (api::to_batch_item(message) || std::holds_alternative<api::SourceFlush>(message) ||
                 std::holds_alternative<api::MediaPortsSet>(message)) {
        handler(api::Message(apply(message)));
      } else if (auto* dump = std::get_if<api::DumpQuery>(&message)) {
        api::DumpReply reply;
        auto it = sessions.lower_bound(dump->cursor);
        for (; it != sessions.end() && reply.sessions.size() < dump_page; ++it) {
          api::SessionInfo info;
          info.spec = it->second;
          reply.sessions.push_back(info);
        }
        reply.next_cursor = it == sessions.end() ? 0 : it->first;
        ++dumps;
        handler(api::Message(reply));
      } else if (auto* query = std::get_if<api::StatsQuery>(&message)) {
        api::StatsReply reply;
        reply.session_id = query->session_id;
        reply.legs.resize(2);
        reply.legs[0].rtp.packets = 100;
        reply.legs[1].rtp.packets = 90;
        handler(api::Message(reply));
      } else {
        handler(api::Message(api::Result{api::Status::kUnsupported, ""}));
      }
    }
  }

  // One programming request, batched or not.
  api::Result apply(const api::Message& message) {
    if (const auto* add = std::get_if<api::SessionAdd>(&message)) {
      if (port_taken(*add)) return {api::Status::kConflict, "port in use"};
      if (add_status != api::Status::kOk) return {add_status, "refused by the test"};
      sessions[add->session_id] = *add;
      return {};
    }
    if (const auto* del = std::get_if<api::SessionDelete>(&message)) {
      if (delete_status != api::Status::kOk) return {delete_status, "refused by the test"};
      const bool found = sessions.erase(del->session_id) > 0;
      return {found ? api::Status::kOk : api::Status::kNotFound, ""};
    }
    return {};  // sources, flush, media ports
  }

  // Forgets the requests not answered yet, as if their sender had died.
  void drop_queued() { queued_.clear(); }

  template <typename T>
  [[nodiscard]] std::vector<T> sent_of() const {
    std::vector<T> out;
    for (const auto& m : requests) {
      if (auto* t = std::get_if<T>(&m)) out.push_back(*t);
    }
    return out;
  }

  bool port_taken(const api::SessionAdd& add) const {
    if (!check_ports) return false;
    for (const auto& [id, other] : sessions) {
      if (id == add.session_id) continue;
      for (const auto& leg : add.legs) {
        for (const auto& held : other.legs) {
          if (leg.port == held.port && leg.local_rtp_port == held.local_rtp_port) return true;
        }
      }
    }
    return false;
  }

  [[nodiscard]] size_t pending() const { return queued_.size(); }

  bool connected_ = true;
  // Like UnixDataplaneClient::kMaxPending: past this many unanswered requests, kOverloaded
  // (0: no limit).
  size_t max_pending = 0;
  size_t peak_pending = 0;                    // most requests unanswered at once
  size_t overloaded = 0;                      // requests refused as overloaded
  size_t batches = 0;                         // Batch messages received
  size_t largest_batch = 0;                   // items in the largest one
  size_t largest_message = 0;                 // bytes of the largest Batch, encoded
  size_t max_message = api::kMaxMessageSize;  // negotiated message size
  std::optional<api::Result> batch_refusal;   // set: every Batch is answered with it
  size_t time_out = 0;                 // the next this many requests answered are kTimeout instead
  bool check_ports = true;             // false: skip the (quadratic) local port conflict check
  uint32_t max_sessions_reported = 0;  // HelloReply.max_sessions; 0: not reported
  uint32_t max_transcoded_sessions_reported = 0;  // HelloReply.max_transcoded_sessions
  api::Status add_status = api::Status::kOk;      // anything else: every add is refused
  api::Status delete_status = api::Status::kOk;   // anything else: every delete is refused
  size_t dump_page = 2;
  size_t dumps = 0;  // DumpQuery pages answered
  std::vector<api::PortInfo> ports_;
  std::vector<api::Message> requests;
  std::map<uint64_t, api::SessionAdd> sessions;
  TimeoutHandler on_timeout;

 private:
  std::deque<std::pair<api::Message, ReplyHandler>> queued_;
  std::deque<ReplyHandler> refused_;
};

}  // namespace sbc::cp::testing
