// Reads one sample out of a Prometheus registry: what a test sees of a counter or a gauge.
#pragma once

#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::cp::testing {

// The value of the metric of family `name` whose labels include every one of `labels`; nullopt
// when the family or such a metric does not exist (yet).
inline std::optional<double> sample(const prometheus::Registry& registry, std::string_view name,
                                    const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      const bool match = std::ranges::all_of(labels, [&](const auto& wanted) {
        return std::ranges::any_of(metric.label, [&](const prometheus::ClientMetric::Label& l) {
          return l.name == wanted.first && l.value == wanted.second;
        });
      });
      if (!match) continue;
      if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (family.type == prometheus::MetricType::Gauge) return metric.gauge.value;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace sbc::cp::testing
