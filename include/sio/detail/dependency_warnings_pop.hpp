// Ends what dependency_warnings_push.hpp began. No include guard on purpose.
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
