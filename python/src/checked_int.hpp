// Integer arguments checked against the range of their C++ type: a Python int that does not
// fit (2**70 for a step count, -1 for a size) is a ValueError naming the argument and the range
// instead of pybind11's "incompatible function arguments" TypeError.
//
// Force-included into every translation unit of the module (python/CMakeLists.txt), so that
// every binding, present and future, converts integers through the one caster below: it
// replaces pybind11's caster for the integer types (a full specialisation wins over pybind11's
// partial one). A value out of range makes the load fail as before, and is remembered;
// name_integer_range_errors() wraps every function of the module so that, when no overload
// accepts the call, the remembered value becomes the ValueError with its argument's name.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace memsched::python {

/// Records that `value` did not fit the range [lo, hi] of an integer parameter; the last record
/// of a failed call becomes its ValueError (name_integer_range_errors).
void record_integer_out_of_range(pybind11::handle value, const std::string& range);

/// Wraps every pybind11 function of `module` (functions, methods, constructors, static methods
/// and properties of its classes) so that a call no overload accepts because an integer
/// argument is out of range raises ValueError("F: argument NAME = VALUE is out of range
/// [LO, HI]"). Call once, after every binding is defined.
void name_integer_range_errors(pybind11::module_& module);

/// The caster for the integer type T: pybind11's conversions (int, objects with __index__, and
/// with implicit conversion any number with __int__ except float), with out-of-range values
/// recorded.
template <typename T>
class CheckedIntCaster {
 public:
  PYBIND11_TYPE_CASTER(T, pybind11::detail::const_name("int"));

  bool load(pybind11::handle src, bool convert) {
    namespace py = pybind11;
    if (!src || PyFloat_Check(src.ptr())) return false;
    py::object number;
    if (PyLong_Check(src.ptr())) {
      number = py::reinterpret_borrow<py::object>(src);
    } else {
      if (!convert && !PyIndex_Check(src.ptr())) return false;
      number = py::reinterpret_steal<py::object>(PyNumber_Index(src.ptr()));
      if (!number) {
        PyErr_Clear();
        if (!convert || PyNumber_Check(src.ptr()) == 0) return false;
        number = py::reinterpret_steal<py::object>(PyNumber_Long(src.ptr()));
        if (!number) {
          PyErr_Clear();
          return false;
        }
      }
    }
    int overflow = 0;
    const long long wide = PyLong_AsLongLongAndOverflow(number.ptr(), &overflow);
    if (wide == -1 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    if (overflow == 0) {
      if (fits(wide)) {
        value = static_cast<T>(wide);
        return true;
      }
    } else if (overflow > 0 && std::is_unsigned<T>::value &&
               sizeof(T) == sizeof(unsigned long long)) {
      const unsigned long long big = PyLong_AsUnsignedLongLong(number.ptr());
      if (!PyErr_Occurred()) {
        value = static_cast<T>(big);
        return true;
      }
      PyErr_Clear();
    }
    // Only on the converting pass: pybind11 first tries every overload without conversions.
    if (convert) {
      record_integer_out_of_range(src, "[" + std::to_string(std::numeric_limits<T>::min()) + ", " +
                                           std::to_string(std::numeric_limits<T>::max()) + "]");
    }
    return false;
  }

  static pybind11::handle cast(T src, pybind11::return_value_policy /*policy*/,
                               pybind11::handle /*parent*/) {
    if (std::is_signed<T>::value) return PyLong_FromLongLong(static_cast<long long>(src));
    return PyLong_FromUnsignedLongLong(static_cast<unsigned long long>(src));
  }

 private:
  static bool fits(long long wide) {
    if (std::is_signed<T>::value) {
      return wide >= static_cast<long long>(std::numeric_limits<T>::min()) &&
             wide <= static_cast<long long>(std::numeric_limits<T>::max());
    }
    return wide >= 0 && static_cast<unsigned long long>(wide) <=
                            static_cast<unsigned long long>(std::numeric_limits<T>::max());
  }
};

}  // namespace memsched::python

namespace pybind11::detail {

// The integer types of the bindings (std::int32_t, std::int64_t, std::size_t, ... are among
// them); char types and bool keep pybind11's casters.
template <>
class type_caster<signed char> : public memsched::python::CheckedIntCaster<signed char> {};
template <>
class type_caster<unsigned char> : public memsched::python::CheckedIntCaster<unsigned char> {};
template <>
class type_caster<short> : public memsched::python::CheckedIntCaster<short> {};
template <>
class type_caster<unsigned short> : public memsched::python::CheckedIntCaster<unsigned short> {};
template <>
class type_caster<int> : public memsched::python::CheckedIntCaster<int> {};
template <>
class type_caster<unsigned int> : public memsched::python::CheckedIntCaster<unsigned int> {};
template <>
class type_caster<long> : public memsched::python::CheckedIntCaster<long> {};
template <>
class type_caster<unsigned long> : public memsched::python::CheckedIntCaster<unsigned long> {};
template <>
class type_caster<long long> : public memsched::python::CheckedIntCaster<long long> {};
template <>
class type_caster<unsigned long long>
    : public memsched::python::CheckedIntCaster<unsigned long long> {};

}  // namespace pybind11::detail
