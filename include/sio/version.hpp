#pragma once
// sio's version; every packaging route reports this same number.
#define SIO_VERSION_MAJOR 1
#define SIO_VERSION_MINOR 0
#define SIO_VERSION_PATCH 0
#define SIO_VERSION_STRING "1.0.0"
