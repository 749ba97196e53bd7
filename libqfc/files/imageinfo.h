#pragma once

#include <QByteArray>
#include <QIODevice>

#include <optional>

namespace qfc::files {

// What an image's header says (thumbnail checks of spec/api.md §7.7).
struct ImageInfo
{
    QByteArray mimeType; // image/png or image/jpeg
    int width = 0;
    int height = 0;
};

// Reads the PNG or JPEG header of `device` (from its current position); std::nullopt for any
// other or a malformed format.
std::optional<ImageInfo> readImageInfo(QIODevice &device);

} // namespace qfc::files
