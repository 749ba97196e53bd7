#include "imageinfo.h"

namespace qfc::files {

namespace {

quint32 be32(const QByteArray &b, qsizetype at)
{
    return (quint32(quint8(b[at])) << 24) | (quint32(quint8(b[at + 1])) << 16)
        | (quint32(quint8(b[at + 2])) << 8) | quint32(quint8(b[at + 3]));
}

quint16 be16(const QByteArray &b, qsizetype at)
{
    return quint16((quint16(quint8(b[at])) << 8) | quint8(b[at + 1]));
}

std::optional<ImageInfo> readJpeg(QIODevice &device)
{
    // Walk the markers up to the first start-of-frame, which holds the size.
    for (int guard = 0; guard < 1000; ++guard) {
        QByteArray marker = device.read(2);
        while (marker.size() == 2 && quint8(marker[0]) == 0xFF && quint8(marker[1]) == 0xFF)
            marker = marker.mid(1) + device.read(1); // fill bytes
        if (marker.size() != 2 || quint8(marker[0]) != 0xFF)
            return std::nullopt;
        const quint8 type = quint8(marker[1]);
        if (type == 0xD8 || (type >= 0xD0 && type <= 0xD7) || type == 0x01)
            continue; // no length
        const QByteArray lengthBytes = device.read(2);
        if (lengthBytes.size() != 2)
            return std::nullopt;
        const int length = be16(lengthBytes, 0);
        if (length < 2)
            return std::nullopt;
        const bool sof =
            (type >= 0xC0 && type <= 0xCF) && type != 0xC4 && type != 0xC8 && type != 0xCC;
        if (sof) {
            const QByteArray frame = device.read(5);
            if (frame.size() != 5)
                return std::nullopt;
            return ImageInfo{"image/jpeg", be16(frame, 3), be16(frame, 1)};
        }
        if (type == 0xD9 || type == 0xDA)
            return std::nullopt; // image data before any frame header
        if (!device.skip(length - 2))
            return std::nullopt;
    }
    return std::nullopt;
}

} // namespace

std::optional<ImageInfo> readImageInfo(QIODevice &device)
{
    const QByteArray head = device.peek(24);
    static const QByteArray png("\x89PNG\r\n\x1a\n", 8);
    if (head.startsWith(png)) {
        if (head.size() < 24 || head.mid(12, 4) != "IHDR")
            return std::nullopt;
        const quint32 w = be32(head, 16), h = be32(head, 20);
        if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff)
            return std::nullopt;
        return ImageInfo{"image/png", int(w), int(h)};
    }
    if (head.size() >= 3 && quint8(head[0]) == 0xFF && quint8(head[1]) == 0xD8
        && quint8(head[2]) == 0xFF) {
        device.skip(2);
        return readJpeg(device);
    }
    return std::nullopt;
}

} // namespace qfc::files
