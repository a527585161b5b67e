#include "controlplane/app/sbcd.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "controlplane/media/session_dump.h"
#include "controlplane/mgmt/security_commands.h"
#include "controlplane/mgmt/show_commands.h"

namespace sbc::cp {

Sbcd::Sbcd(Config config)
    : config_(std::move(config)),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      stats_timer_(io_),
      commit_timer_(io_),
      scheduler_(io_),
      ports_(config_.media.port_min, config_.media.port_max),
      dataplane_(io_, config_.dataplane_socket),
      resync_(dataplane_, scheduler_, &metrics_.registry()),
      security_(config_.security_view(), scheduler_, dataplane_, security_metrics_),
      registrar_(config_.registrar) {}

Sbcd::~Sbcd() {
  if (mgmt_) mgmt_->stop();
  dataplane_.stop();
  if (transport_) transport_->close();
  ingress_.reset();  // uses the B2BUA's transaction layer
  b2bua_.reset();    // cancels its timers while the scheduler still exists
}

std::expected<void, std::string> Sbcd::start() {
  if (auto opened = cdr_.open(config_.cdr_file); !opened) return opened;
  auto restored_bans = open_state();
  if (!restored_bans) return std::unexpected(restored_bans.error());
  if (config_.metrics_listen) {
    if (auto exposed = metrics_.expose(*config_.metrics_listen); !exposed) return exposed;
  }
  if (auto made = make_transport(); !made) return made;
  if (auto adopted = make_call_handling(*restored_bans); !adopted) return adopted;
  if (auto bound = bind_configured_listeners(); !bound) return bound;
  if (auto served = start_management(); !served) return served;
  start_dataplane();
  return {};
}

std::expected<size_t, std::string> Sbcd::open_state() {
  auto store = CallStore::open(config_.state_db);
  if (!store) return std::unexpected(store.error());
  store_ = std::move(*store);
  store_->set_committer([this] {
    commit_timer_.expires_after(kStateCommitDelay);
    commit_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && store_) store_->commit();
    });
  });
  auto bans = store_->load_bans();
  if (!bans) return std::unexpected(bans.error());
  security_.set_store(store_.get());
  return security_.restore_bans(std::move(*bans));
}

std::expected<void, std::string> Sbcd::make_transport() {
  transport_ = std::make_unique<TransportManager>(
      io_, config_.zones.size(), TransportSettings::from_config(config_.sip), transport_metrics_,
      [this](const SipPeer& from, std::string data) {
        if (ingress_) ingress_->on_message(from, std::move(data));  // screens the source first
      });
  transport_->set_accept_filter([this](size_t zone, const Endpoint& remote) {
    return security_.screen_connection(zone, remote);
  });
  transport_->set_tls_failure_handler(
      [this](size_t, const Endpoint& remote) { security_.tls_failed(remote); });
  if (config_.tls) {
    if (auto tls = transport_->configure_tls(*config_.tls); !tls) return tls;
  }
  transport_->set_failure_handler([this](const SipPeer& to) {
    if (b2bua_) b2bua_->on_transport_error(to);
  });
  return {};
}

std::expected<void, std::string> Sbcd::make_call_handling(size_t restored_bans) {
  auto dns = AresDnsClient::create(io_, config_.dns);
  if (!dns) return std::unexpected(dns.error());
  dns_ = std::move(*dns);
  b2bua_ = std::make_unique<B2bua>(config_, scheduler_, *transport_, dataplane_, ports_, metrics_,
                                   security_, registrar_, &cdr_, dns_.get());
  // transport -> ingress (screen, parse once, stateless refusals) -> transaction layer -> B2BUA
  ingress_ = std::make_unique<SipIngress>(b2bua_->transactions(), B2bua::request_policy(), metrics_,
                                          security_);
  b2bua_->set_store(store_.get());
  auto restored = b2bua_->restore_calls();
  if (!restored) return std::unexpected(restored.error());
  spdlog::info("sbcd: {} call(s) adopted, {} ban(s) restored from {}{}", restored->adopted,
               restored_bans, config_.state_db,
               restored->cdrs_written + restored->dropped == 0
                   ? std::string()
                   : fmt::format(" ({} CDR(s) of ended calls written, {} unusable call(s) dropped)",
                                 restored->cdrs_written, restored->dropped));
  return {};
}

std::expected<void, std::string> Sbcd::bind_configured_listeners() {
  bound_.clear();
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    bound_.emplace_back(z.listeners.size(), false);
    for (size_t l = 0; l < z.listeners.size(); ++l) {
      // A zone's own listeners carry its sip_address; unset: the dataplane port's (after Hello).
      const auto& address = z.listeners[l].address;
      if (!address) continue;
      if (auto bound = bind_listener(i, l, *address); !bound) {
        return std::unexpected(fmt::format("zone.{}: {}", z.name, bound.error()));
      }
    }
  }
  return {};
}

std::expected<void, std::string> Sbcd::start_management() {
  register_show_commands(commands_, *b2bua_, dataplane_, dataplane_stats_, scheduler_, &resync_);
  register_security_commands(commands_, security_, registrar_);
  register_reload_commands();
  mgmt_ = std::make_unique<MgmtServer>(io_, config_.mgmt_socket, commands_);
  if (auto started = mgmt_->start(); !started) {
    return std::unexpected("sbcd.mgmt_socket: " + started.error());
  }
  return {};
}

void Sbcd::start_dataplane() {
  dataplane_.set_connection_handler([this](bool up) { on_dataplane(up); });
  dataplane_.set_timeout_handler(
      [this](const api::MediaTimeoutEvent& event) { b2bua_->on_media_timeout(event); });
  dataplane_.start();
  metrics_.dataplane(false, nullptr);
  refresh_stats();
  wait_for_signal();
}

void Sbcd::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      (void)reload();  // logged and counted there; live calls are kept either way
      wait_for_signal();
      return;
    }
    spdlog::info("sbcd: signal {}, stopping; {} established call(s) kept in {} for the next sbcd",
                 signal, store_ ? store_->size() : 0, config_.state_db);
    io_.stop();
  });
}

void Sbcd::run() {
  io_.run();
}

std::expected<void, std::string> Sbcd::bind_listener(size_t zone, size_t index,
                                                     const boost::asio::ip::address& address) {
  const ZoneConfig& z = config_.zones[zone];
  const ListenerConfig& l = z.listeners[index];
  auto bound = transport_->listen(zone, l.transport, address, l.port);
  if (!bound) return std::unexpected(bound.error());
  bound_[zone][index] = true;
  spdlog::info("zone {}: SIP on {} {}:{}", z.name, to_string(l.transport),
               bound->address().to_string(), bound->port());
  return {};
}

void Sbcd::bind_zones() {
  for (size_t i = 0; i < config_.zones.size(); ++i) {
    const ZoneConfig& z = config_.zones[i];
    if (z.retired || std::ranges::all_of(bound_[i], [](bool b) { return b; })) continue;
    const api::PortInfo* port = dataplane_.find_port(z.dataplane_port);
    if (port == nullptr || !port->address.is_set()) {
      spdlog::error("zone {}: dataplane has no port '{}' with an address; SIP not bound", z.name,
                    z.dataplane_port);
      continue;
    }
    const std::string address = port->address.to_string();
    boost::system::error_code ec;
    const boost::asio::ip::address ip = boost::asio::ip::make_address(address, ec);
    if (ec) continue;  // is_set() above: the dataplane sent an address
    bool any = false;
    for (size_t l = 0; l < z.listeners.size(); ++l) {
      if (bound_[i][l]) continue;
      if (auto bound = bind_listener(i, l, ip); !bound) {
        spdlog::error("zone {}: {}", z.name, bound.error());
        continue;
      }
      any = true;
    }
    if (any && !z.sip_address) b2bua_->set_zone_address(i, ip);
  }
}

void Sbcd::on_dataplane(bool up) {
  metrics_.dataplane(up, nullptr);
  if (!up) {
    resync_.abort();
    return;
  }
  for (const ZoneConfig& z : config_.zones) {
    if (!z.retired && dataplane_.find_port(z.dataplane_port) == nullptr) {
      spdlog::error("zone {}: dataplane_port '{}' is not a dataplane port", z.name,
                    z.dataplane_port);
    }
  }
  bind_zones();
  // Everything sbcd holds is queued first and sent paced, sessions first.
  resync_.begin();
  security_.on_dataplane_up(resync_);
  b2bua_->on_dataplane_up(resync_);
  resync_.run();
  refresh_stats();
}

// Totals for /metrics and `show dataplane`, then per-session counters for `show calls`.
void Sbcd::refresh_stats() {
  stats_timer_.cancel();
  registrar_.expire(scheduler_.now());
  security_metrics_.registrations_active(registrar_.size());
  security_.publish_account_rates();
  retire_zones();
  b2bua_->publish_capacity();
  if (dataplane_.connected()) {
    dataplane_.request(api::StatsQuery{0}, [this](DataplaneClient::Reply reply) {
      if (reply) {
        if (auto* stats = std::get_if<api::StatsReply>(&*reply)) {
          dataplane_stats_ = *stats;
          metrics_.dataplane(dataplane_.connected(), &*stats);
        }
      }
    });
    if (b2bua_->active_calls() > 0) {
      dump_sessions(dataplane_, [this](const api::DumpReply& page) {
        for (const api::SessionInfo& s : page.sessions) b2bua_->update_media_stats(s);
      });
    }
  }
  stats_timer_.expires_after(kStatsInterval);
  stats_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) refresh_stats();
  });
}

}  // namespace sbc::cp
