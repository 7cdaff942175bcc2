// libFuzzer target: the network text parser and shape inference (core/network.h). Any input must
// end in a Network or one NetworkError, within the fixed limits: never a crash, hang or large
// allocation (docs/networks.md).
#include "core/network.h"
#include <QString>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    try {
        const auto net = core::Network::parse(text);
        // The canonical text must read back as the same network.
        if (core::Network::parse(net.text()) != net)
            __builtin_trap();
        (void)net.analyze();
    } catch (const core::NetworkError &) {
    }
    return 0;
}
