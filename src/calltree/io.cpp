// The nested JSON call-tree format: a hardened reader (sizes and depth checked before the
// work) and a writer that round-trips.
#include "memsched/calltree/io.hpp"

#include <cmath>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "memsched/errors.hpp"
#include "util/json_text.hpp"

namespace memsched {

namespace {

constexpr double kMaxBytesAsDouble = 4611686018427387904.0;  // 2^62

using detail::text_position;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ParseError("calltree: " + where + ": " + message, 1);
}

Bytes get_bytes(const nlohmann::json& call, const char* key, const std::string& where) {
  const auto it = call.find(key);
  if (it == call.end()) return 0;
  return [&](const nlohmann::json& v) -> Bytes {
    if (v.is_number_unsigned() &&
        v.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxCallTreeBytes)) {
      fail(where, std::string(key) + " larger than 2^62");
    }
    if (v.is_number_integer()) {
      const auto b = v.get<std::int64_t>();
      if (b < 0) fail(where, std::string(key) + " " + std::to_string(b) + " is negative");
      if (b > kMaxCallTreeBytes) fail(where, std::string(key) + " larger than 2^62");
      return b;
    }
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && d > kMaxBytesAsDouble)
        fail(where, std::string(key) + " larger than 2^62");
      if (std::isfinite(d) && d == std::floor(d) && d >= 0) {
        return static_cast<Bytes>(d);
      }
    }
    fail(where, std::string(key) + " is not a non-negative integer");
  }(*it);
}

std::optional<double> get_time(const nlohmann::json& call, const char* key,
                               const std::string& where) {
  const auto it = call.find(key);
  if (it == call.end()) return std::nullopt;
  if (!it->is_number()) fail(where, std::string(key) + " is not a number");
  const double t = it->get<double>();
  if (!std::isfinite(t) || t < 0) {
    fail(where, std::string(key) + " is not a finite non-negative number");
  }
  return t;
}

const char* const kKeys[] = {"id",
                             "time",
                             "record_time",
                             "adjoint_time",
                             "tape_bytes",
                             "tape_before_calls",
                             "snapshot_bytes",
                             "snapshot_write_time",
                             "snapshot_read_time",
                             "pin",
                             "site",
                             "loop",
                             "calls"};

// A loop count: an integer in [1, kMaxLoopIterations] (the model's bound, refused here with
// the key's name so huge values never reach the arithmetic).
std::int64_t get_count(const nlohmann::json& loop, const char* key, const std::string& where) {
  const auto it = loop.find(key);
  if (it == loop.end()) fail(where, std::string("loop.") + key + " missing");
  const std::string bound = "is not an integer in [1, 2^40]";
  if (it->is_number_unsigned() &&
      it->get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxLoopIterations)) {
    fail(where, std::string("loop.") + key + " " + bound);
  }
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    if (v < 1 || v > kMaxLoopIterations) {
      fail(where, std::string("loop.") + key + " " + std::to_string(v) + " " + bound);
    }
    return v;
  }
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= 1 &&
        d <= static_cast<double>(kMaxLoopIterations)) {
      return static_cast<std::int64_t>(d);
    }
  }
  fail(where, std::string("loop.") + key + " " + bound);
}

CallNode read_call(const nlohmann::json& call, const std::string& where) {
  if (!call.is_object()) fail(where, "a call must be a JSON object");
  for (const auto& item : call.items()) {
    bool known = false;
    for (const char* key : kKeys) known = known || item.key() == key;
    if (!known) fail(where, "unknown key \"" + item.key().substr(0, 40) + "\"");
  }
  CallNode node;
  const auto id = call.find("id");
  if (id == call.end()) fail(where, "\"id\" missing");
  if (id->is_string()) {
    node.name = id->get<std::string>();
  } else if (id->is_number_integer()) {
    node.name = id->dump();
  } else {
    fail(where, "\"id\" is not a string or an integer");
  }
  if (node.name.empty()) fail(where, "\"id\" is empty");
  const auto time = get_time(call, "time", where);
  if (!time) fail(where, "\"time\" missing");
  node.time = *time;
  node.record_time = get_time(call, "record_time", where).value_or(node.time);
  node.adjoint_time = get_time(call, "adjoint_time", where).value_or(2 * node.time);
  node.snapshot_write_time = get_time(call, "snapshot_write_time", where).value_or(0);
  node.snapshot_read_time = get_time(call, "snapshot_read_time", where).value_or(0);
  node.tape_bytes = get_bytes(call, "tape_bytes", where);
  node.snapshot_bytes = get_bytes(call, "snapshot_bytes", where);
  if (const auto it = call.find("tape_before_calls"); it != call.end()) {
    if (!it->is_array()) fail(where, "tape_before_calls is not an array");
    for (std::size_t j = 0; j < it->size(); ++j) {
      const nlohmann::json wrapper{{"tape_before_calls", (*it)[j]}};
      node.tape_before_calls.push_back(get_bytes(wrapper, "tape_before_calls", where));
    }
  }
  if (const auto it = call.find("pin"); it != call.end()) {
    const std::string pin = it->is_string() ? it->get<std::string>() : std::string("?");
    if (pin == "joint") {
      node.pin = CallPin::kJoint;
    } else if (pin == "split") {
      node.pin = CallPin::kSplit;
    } else {
      fail(where, "pin must be \"joint\" or \"split\"");
    }
  }
  if (const auto it = call.find("site"); it != call.end()) {
    if (!it->is_string()) fail(where, "site is not a string");
    node.site = it->get<std::string>();
  }
  if (const auto it = call.find("loop"); it != call.end()) {
    if (!it->is_object()) fail(where, "loop is not an object");
    for (const auto& item : it->items()) {
      if (item.key() != "iterations" && item.key() != "snapshots" &&
          item.key() != "min_snapshots") {
        fail(where, "unknown key \"loop." + item.key().substr(0, 40) + "\"");
      }
    }
    node.loop =
        CallLoop{get_count(*it, "iterations", where), get_count(*it, "snapshots", where), 0};
    if (it->contains("min_snapshots")) {
      node.loop->min_snapshots = get_count(*it, "min_snapshots", where);
    }
  }
  if (const auto it = call.find("calls"); it != call.end() && !it->is_array()) {
    fail(where, "calls is not an array");
  }
  return node;
}

}  // namespace

CallTree read_calltree_json(std::string_view text) {
  // A call is two brackets deep (its object and its calls array), plus the root's two.
  detail::check_json_depth(text, static_cast<int>(2 * kMaxCallTreeDepth + 2), "calltree: calls");
  const nlohmann::json doc = detail::parse_json(text, "calltree JSON");
  if (!doc.is_object()) throw ParseError("calltree JSON: expected one object (the root call)", 1);
  // Pre-order walk with an explicit stack: any depth the nesting check let through.
  struct Pending {
    const nlohmann::json* call;
    CallIndex parent;
    std::string where;
  };
  std::vector<CallNode> calls;
  std::vector<Pending> stack{{&doc, -1, "root"}};
  while (!stack.empty()) {
    Pending p = std::move(stack.back());
    stack.pop_back();
    if (static_cast<CallIndex>(calls.size()) >= kMaxCalls) {
      throw ParseError("calltree: more than " + std::to_string(kMaxCalls) + " calls", 1);
    }
    CallNode node = read_call(*p.call, p.where);
    node.parent = p.parent;
    const auto self = static_cast<CallIndex>(calls.size());
    const std::string where = "call '" + node.name.substr(0, 60) + "'";
    calls.push_back(std::move(node));
    if (const auto it = p.call->find("calls"); it != p.call->end()) {
      for (std::size_t j = it->size(); j-- > 0;) {
        stack.push_back({&(*it)[j], self, where + ".calls[" + std::to_string(j) + "]"});
      }
    }
  }
  return CallTree(std::move(calls));
}

void write_calltree_json(std::ostream& out, const CallTree& tree) {
  // Build bottom-up so no recursion is needed: children have larger indices.
  const CallIndex n = tree.num_calls();
  std::vector<nlohmann::json> objects(static_cast<std::size_t>(n));
  for (CallIndex v = n - 1; v >= 0; --v) {
    const CallNode& c = tree.call(v);
    nlohmann::json o{{"id", c.name},
                     {"time", c.time},
                     {"record_time", c.record_time},
                     {"adjoint_time", c.adjoint_time},
                     {"tape_bytes", c.tape_bytes},
                     {"snapshot_bytes", c.snapshot_bytes},
                     {"snapshot_write_time", c.snapshot_write_time},
                     {"snapshot_read_time", c.snapshot_read_time}};
    if (c.pin != CallPin::kFree) o["pin"] = c.pin == CallPin::kJoint ? "joint" : "split";
    if (!c.site.empty()) o["site"] = c.site;
    if (c.loop) {
      o["loop"] = {{"iterations", c.loop->iterations}, {"snapshots", c.loop->snapshots}};
      if (c.loop->min_snapshots > 0) o["loop"]["min_snapshots"] = c.loop->min_snapshots;
    }
    const CallIndex k = tree.num_children(v);
    if (k > 0) {
      o["tape_before_calls"] = c.tape_before_calls;
      nlohmann::json children = nlohmann::json::array();
      for (CallIndex j = 0; j < k; ++j) {
        children.push_back(std::move(objects[static_cast<std::size_t>(tree.child(v, j))]));
      }
      o["calls"] = std::move(children);
    }
    objects[static_cast<std::size_t>(v)] = std::move(o);
  }
  out << objects[0].dump() << "\n";
}

CallTree read_calltree_file(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::istreambuf_iterator<char> it(std::cin);
    for (; it != std::istreambuf_iterator<char>(); ++it) {
      if (static_cast<std::int64_t>(text.size()) >= kMaxCallTreeFileBytes) {
        throw std::length_error("read_calltree_file: standard input is larger than " +
                                std::to_string(kMaxCallTreeFileBytes) + " bytes");
      }
      text.push_back(*it);
    }
  } else {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error("read_calltree_file: cannot open '" + path + "'");
    const std::streamoff size = in.tellg();
    if (size < 0) throw std::runtime_error("read_calltree_file: cannot read '" + path + "'");
    if (size > kMaxCallTreeFileBytes) {
      throw std::length_error("read_calltree_file: '" + path + "' has " + std::to_string(size) +
                              " bytes, more than the " + std::to_string(kMaxCallTreeFileBytes) +
                              " accepted");
    }
    in.seekg(0);
    text.resize(static_cast<std::size_t>(size));
    if (!in.read(text.data(), size)) {
      throw std::runtime_error("read_calltree_file: cannot read '" + path + "'");
    }
  }
  return read_calltree_json(text);
}

}  // namespace memsched
