#pragma once
// JSON text <-> sio::value: json_reader.hpp (json::parse, json::reader) and json_writer.hpp
// (json::write, json::stringify, json::writer). Include the one you need; this umbrella remains
// for code that uses both.
#include "sio/parser/json_reader.hpp"
#include "sio/parser/json_writer.hpp"
