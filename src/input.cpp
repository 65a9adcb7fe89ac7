// Reading an input file whole, its size checked first.
#include "memsched/input.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace memsched {

namespace {

std::string mib(std::size_t bytes) {
  return bytes % (std::size_t{1} << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                             : std::to_string(bytes) + " bytes";
}

}  // namespace

std::string read_input_file(const std::string& path, std::size_t max_bytes,
                            const std::string& what) {
  const std::string name = path == "-" ? std::string("standard input") : "'" + path + "'";
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      throw std::runtime_error("cannot open " + what + " " + name + ": " + std::strerror(errno));
    }
    if (S_ISDIR(info.st_mode)) {
      throw std::runtime_error("cannot read " + what + " " + name + ": it is a directory");
    }
    if (!S_ISREG(info.st_mode)) {
      throw std::runtime_error("cannot read " + what + " " + name +
                               ": not a regular file (a device, FIFO or socket); pipe it to "
                               "standard input and give - instead");
    }
    if (static_cast<std::size_t>(info.st_size) > max_bytes) {
      throw std::runtime_error(what + " " + name + " has " + std::to_string(info.st_size) +
                               " bytes, above the limit of " + mib(max_bytes));
    }
    file.open(path, std::ios::binary);
    if (!file) {
      throw std::runtime_error("cannot open " + what + " " + name + ": " + std::strerror(errno));
    }
    in = &file;
  }
  std::string text;
  char buffer[1 << 16];
  while (in->read(buffer, sizeof buffer) || in->gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in->gcount()));
    if (text.size() > max_bytes) {
      throw std::runtime_error(what + " " + name + " is larger than the limit of " +
                               mib(max_bytes));
    }
  }
  if (in->bad()) throw std::runtime_error("cannot read " + what + " " + name);
  return text;
}

}  // namespace memsched
