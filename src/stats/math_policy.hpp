// The Boost.Math error policy of every distribution in stats/ (and the calibration harness): no
// exceptions and no errno; an invalid argument or an overflow yields NaN/Inf, which the callers
// check with std::isfinite.
#pragma once

#include <boost/math/policies/policy.hpp>

namespace rallyuxr::stats {

using MathPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::underflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>,
    boost::math::policies::rounding_error<boost::math::policies::ignore_error>,
    boost::math::policies::indeterminate_result_error<boost::math::policies::ignore_error>>;

}  // namespace rallyuxr::stats
