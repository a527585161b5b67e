// RCU state for the tables' tests, which play the workers themselves: one registered, online
// reader thread id (kReader) whose quiescent state the test reports.
#pragma once

#include <gtest/gtest.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

namespace sbc::dp::test {

class TestQsbr {
 public:
  static constexpr uint32_t kReader = 0;
  TestQsbr() {
    const size_t size = rte_rcu_qsbr_get_memsize(1);
    qsbr_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("test_qsbr", size, RTE_CACHE_LINE_SIZE));
    EXPECT_NE(qsbr_, nullptr);
    if (qsbr_ == nullptr) return;
    EXPECT_EQ(rte_rcu_qsbr_init(qsbr_, 1), 0);
    EXPECT_EQ(rte_rcu_qsbr_thread_register(qsbr_, kReader), 0);
    rte_rcu_qsbr_thread_online(qsbr_, kReader);
  }
  ~TestQsbr() {
    if (qsbr_ == nullptr) return;
    rte_rcu_qsbr_thread_offline(qsbr_, kReader);
    rte_rcu_qsbr_thread_unregister(qsbr_, kReader);
    rte_free(qsbr_);
  }
  TestQsbr(const TestQsbr&) = delete;
  TestQsbr& operator=(const TestQsbr&) = delete;

  [[nodiscard]] rte_rcu_qsbr* get() const { return qsbr_; }
  // The reader passed a quiescent state: what it read before may be freed.
  void quiescent() const { rte_rcu_qsbr_quiescent(qsbr_, kReader); }

 private:
  rte_rcu_qsbr* qsbr_ = nullptr;
};

}  // namespace sbc::dp::test
