#pragma once
// Shared by the tests that check error messages.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

// The message must contain `needle` (printed in full when it does not).
#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "'" << (haystack) << "' lacks '" << (needle) << "'"

namespace dn::testing {

// The message of the dn::Error that fn throws ("" and a test failure if it throws none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a dn::Error";
  return "";
}

}  // namespace dn::testing
