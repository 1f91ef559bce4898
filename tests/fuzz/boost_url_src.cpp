// Boost.URL compiled into the fuzz targets with their instrumentation (see CMakeLists.txt).
#include <boost/url/src.hpp>
