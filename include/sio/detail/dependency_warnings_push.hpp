// Included (with dependency_warnings_pop.hpp after) around the headers of sio's dependencies:
// websocketpp 0.8.2 and RapidJSON 1.1.0 trip newer compilers' warnings (std::iterator and
// implicit-copy deprecations, unused parameters, clang's reversed operator== in C++20). They are
// theirs, not sio's or the user's. No include guard on purpose: it is meant to be included again.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#pragma clang diagnostic ignored "-Wunused-parameter"
#pragma clang diagnostic ignored "-Wdeprecated-copy"
#if __has_warning("-Wambiguous-reversed-operator")
#pragma clang diagnostic ignored "-Wambiguous-reversed-operator"
#endif
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wdeprecated-copy"
#endif
