// Timers for the control plane behind a small interface, so the B2BUA runs on the real event loop
// in sbcd and on a hand-driven clock in unit tests.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace sbc::cp {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;  // never 0
  virtual ~Scheduler() = default;

  [[nodiscard]] virtual Clock::time_point now() const = 0;
  // Wall-clock time, for CDRs and logs only (never for timeouts).
  [[nodiscard]] virtual std::chrono::system_clock::time_point wall_now() const = 0;
  // Runs `fn` once after `delay` on the event loop thread.
  virtual TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Cancels a pending timer; unknown or fired ids are ignored.
  virtual void cancel(TimerId id) = 0;
};

class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io) : io_(io) {}
  ~AsioScheduler() override;

  [[nodiscard]] Clock::time_point now() const override { return Clock::now(); }
  [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;

 private:
  boost::asio::io_context& io_;
  TimerId next_id_ = 1;
  std::unordered_map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace sbc::cp
