// JSON and CSV chain files, parsed defensively: hostile input gives a ParseError, never a crash.
#include "memsched/hetero/io.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "memsched/errors.hpp"
#include "util/json_text.hpp"

namespace memsched {

namespace {

constexpr std::size_t kMaxInput = std::size_t{64} << 20;
constexpr int kMaxDepth = 32;

using Json = nlohmann::json;

void check_size(std::string_view text, const char* format) {
  if (text.size() > kMaxInput) {
    throw ParseError(std::string(format) + " chain file larger than 64 MiB", 1);
  }
}

using detail::check_json_depth;
using detail::text_position;

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw ParseError(where + ": " + message, 1);
}

Bytes get_bytes(const Json& object, const char* key, const std::string& where, bool required) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (required) fail(where, std::string("missing \"") + key + "\"");
    return 0;
  }
  if (it->is_number_unsigned() || it->is_number_integer()) {
    if (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() < 0) {
      fail(where, std::string("\"") + key + "\" must be >= 0");
    }
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(kMaxBytes)) {
      fail(where, std::string("\"") + key + "\" is above 2^50 bytes");
    }
    return static_cast<Bytes>(value);
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (std::isfinite(v) && v >= 0 && v <= static_cast<double>(kMaxBytes) && v == std::floor(v)) {
      return static_cast<Bytes>(v);
    }
    fail(where, std::string("\"") + key + "\" must be a whole number of bytes in [0, 2^50]");
  }
  fail(where, std::string("\"") + key + "\" must be a number");
}

double get_time(const Json& object, const char* key, const std::string& where, bool required) {
  const auto it = object.find(key);
  if (it == object.end()) {
    if (required) fail(where, std::string("missing \"") + key + "\"");
    return 0.0;
  }
  if (!it->is_number()) fail(where, std::string("\"") + key + "\" must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) {
    fail(where, std::string("\"") + key + "\" must be finite and >= 0");
  }
  return v;
}

void check_keys(const Json& object, const std::set<std::string>& allowed,
                const std::string& where) {
  if (!object.is_object()) fail(where, "must be an object");
  for (const auto& item : object.items()) {
    if (allowed.count(item.key()) == 0) fail(where, "unknown key \"" + item.key() + "\"");
  }
}

HeteroChain build(std::vector<HeteroStage> stages, HeteroLoss loss) {
  if (stages.empty()) throw ParseError("the chain has no stage", 1);
  if (static_cast<std::int64_t>(stages.size()) > kMaxStages) {
    throw ParseError("more than 2^20 stages", 1);
  }
  return HeteroChain(std::move(stages), loss);
}

}  // namespace

HeteroChain read_hetero_chain_json(std::string_view text) {
  check_size(text, "JSON");
  check_json_depth(text, kMaxDepth, "JSON");
  const Json doc = detail::parse_json(text, "malformed JSON");
  check_keys(doc, {"stages", "loss", "format", "name"}, "chain");
  const auto stages_it = doc.find("stages");
  if (stages_it == doc.end() || !stages_it->is_array())
    fail("chain", "\"stages\" must be an array");
  std::vector<HeteroStage> stages;
  for (std::size_t i = 0; i < stages_it->size(); ++i) {
    const Json& s = (*stages_it)[i];
    const std::string where = "stage " + std::to_string(i);
    check_keys(s,
               {"name", "forward_time", "backward_time", "input_bytes", "tape_bytes",
                "forward_tmp_bytes", "backward_tmp_bytes", "recording_tmp_bytes"},
               where);
    HeteroStage stage;
    stage.forward_time = get_time(s, "forward_time", where, true);
    stage.backward_time = get_time(s, "backward_time", where, true);
    stage.input_bytes = get_bytes(s, "input_bytes", where, true);
    stage.tape_bytes = get_bytes(s, "tape_bytes", where, true);
    stage.forward_tmp_bytes = get_bytes(s, "forward_tmp_bytes", where, false);
    stage.backward_tmp_bytes = get_bytes(s, "backward_tmp_bytes", where, false);
    if (s.find("recording_tmp_bytes") != s.end()) {
      stage.recording_tmp_bytes = get_bytes(s, "recording_tmp_bytes", where, true);
    }
    stages.push_back(stage);
  }
  const auto loss_it = doc.find("loss");
  if (loss_it == doc.end()) fail("chain", "missing \"loss\"");
  check_keys(*loss_it, {"input_bytes", "time", "backward_tmp_bytes"}, "loss");
  HeteroLoss loss;
  loss.input_bytes = get_bytes(*loss_it, "input_bytes", "loss", true);
  loss.time = get_time(*loss_it, "time", "loss", false);
  loss.backward_tmp_bytes = get_bytes(*loss_it, "backward_tmp_bytes", "loss", false);
  return build(std::move(stages), loss);
}

namespace {

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    std::string_view cell =
        line.substr(start, comma == std::string_view::npos ? line.npos : comma - start);
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t' || cell.back() == '\r')) {
      cell.remove_suffix(1);
    }
    cells.push_back(cell);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return cells;
}

double csv_time(std::string_view cell, std::int64_t line, const std::string& column) {
  if (cell.empty()) return 0.0;
  const std::string text(cell);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) {
    throw ParseError(column + " must be a finite number >= 0, got \"" + text + "\"", line);
  }
  return v;
}

Bytes csv_bytes(std::string_view cell, std::int64_t line, const std::string& column) {
  if (cell.empty()) return 0;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc() || ptr != cell.data() + cell.size() || v < 0 || v > kMaxBytes) {
    throw ParseError(
        column + " must be a whole number of bytes in [0, 2^50], got \"" + std::string(cell) + "\"",
        line);
  }
  return v;
}

}  // namespace

HeteroChain read_hetero_chain_csv(std::string_view text) {
  check_size(text, "CSV");
  const std::vector<std::string> known = {
      "stage",      "forward_time",      "backward_time",      "input_bytes",
      "tape_bytes", "forward_tmp_bytes", "backward_tmp_bytes", "recording_tmp_bytes"};
  std::vector<int> column_of(known.size(), -1);
  std::vector<HeteroStage> stages;
  std::optional<HeteroLoss> loss;
  bool header = false;
  std::int64_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::string_view line =
        text.substr(start, newline == std::string_view::npos ? text.npos : newline - start);
    start = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    ++line_number;
    const auto cells = split(line);
    if ((cells.size() == 1 && cells[0].empty()) || (!line.empty() && line.front() == '#')) continue;
    if (!header) {
      for (std::size_t c = 0; c < cells.size(); ++c) {
        std::size_t k = 0;
        while (k < known.size() && known[k] != cells[c]) ++k;
        if (k == known.size()) {
          throw ParseError("unknown column \"" + std::string(cells[c]) + "\"", line_number,
                           static_cast<std::int64_t>(c + 1));
        }
        if (column_of[k] >= 0) throw ParseError("repeated column " + known[k], line_number);
        column_of[k] = static_cast<int>(c);
      }
      for (std::size_t k = 0; k < 5; ++k) {
        if (column_of[k] < 0) throw ParseError("missing column " + known[k], line_number);
      }
      header = true;
      continue;
    }
    if (loss) throw ParseError("a line after the loss line", line_number);
    auto cell = [&](std::size_t k) -> std::string_view {
      if (column_of[k] < 0) return {};
      const auto c = static_cast<std::size_t>(column_of[k]);
      if (c >= cells.size()) throw ParseError("missing cell for " + known[k], line_number);
      return cells[c];
    };
    if (cells.size() >
        static_cast<std::size_t>(*std::max_element(column_of.begin(), column_of.end()) + 1)) {
      throw ParseError("more cells than columns", line_number);
    }
    if (static_cast<std::int64_t>(stages.size()) >= kMaxStages) {
      throw ParseError("more than 2^20 stages", line_number);
    }
    if (cell(0) == "loss") {
      if (csv_time(cell(1), line_number, known[1]) != 0.0 ||
          csv_bytes(cell(4), line_number, known[4]) != 0) {
        throw ParseError("the loss line takes no forward_time or tape_bytes", line_number);
      }
      HeteroLoss l;
      l.time = csv_time(cell(2), line_number, known[2]);
      l.input_bytes = csv_bytes(cell(3), line_number, known[3]);
      l.backward_tmp_bytes = csv_bytes(cell(6), line_number, known[6]);
      if (csv_bytes(cell(5), line_number, known[5]) != 0 ||
          csv_bytes(cell(7), line_number, known[7]) != 0) {
        throw ParseError("the loss line takes no forward_tmp_bytes or recording_tmp_bytes",
                         line_number);
      }
      loss = l;
      continue;
    }
    HeteroStage s;
    s.forward_time = csv_time(cell(1), line_number, known[1]);
    s.backward_time = csv_time(cell(2), line_number, known[2]);
    s.input_bytes = csv_bytes(cell(3), line_number, known[3]);
    s.tape_bytes = csv_bytes(cell(4), line_number, known[4]);
    s.forward_tmp_bytes = csv_bytes(cell(5), line_number, known[5]);
    s.backward_tmp_bytes = csv_bytes(cell(6), line_number, known[6]);
    if (!cell(7).empty()) s.recording_tmp_bytes = csv_bytes(cell(7), line_number, known[7]);
    stages.push_back(s);
  }
  if (!header) throw ParseError("empty CSV: no header line", 1);
  if (!loss) throw ParseError("no loss line (stage = loss)", line_number);
  return build(std::move(stages), *loss);
}

void write_hetero_chain_json(std::ostream& out, const HeteroChain& chain) {
  Json stages = Json::array();
  for (const HeteroStage& s : chain.stages()) {
    Json stage = {{"forward_time", s.forward_time},
                  {"backward_time", s.backward_time},
                  {"input_bytes", s.input_bytes},
                  {"tape_bytes", s.tape_bytes},
                  {"forward_tmp_bytes", s.forward_tmp_bytes},
                  {"backward_tmp_bytes", s.backward_tmp_bytes}};
    if (s.recording_tmp_bytes) stage["recording_tmp_bytes"] = *s.recording_tmp_bytes;
    stages.push_back(stage);
  }
  Json doc = {{"stages", stages},
              {"loss",
               {{"input_bytes", chain.loss().input_bytes},
                {"time", chain.loss().time},
                {"backward_tmp_bytes", chain.loss().backward_tmp_bytes}}}};
  out << doc.dump(2) << "\n";
}

}  // namespace memsched
