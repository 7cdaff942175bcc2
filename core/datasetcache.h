#pragma once
// Loaded splits shared across the process (issue 16). Reading a split means reading, checking and
// hashing its files (MNIST: 55 MB for both splits, about 0.2 s of CPU); every window, every
// dataset the user switches back to, and every test window used to pay it again. The cache
// hands out the set it read before while the files are unchanged. Torch-free.
#include "mnist.h"
#include <QString>
#include <QStringList>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace core {

/// A file as the file system describes it: device, inode, size, modification and status-change
/// times (nanoseconds). A file rewritten in place, replaced by another or touched has another
/// identity, even when its size and modification time were put back (the change time moves).
struct FileIdentity {
    bool exists = false;
    quint64 device = 0, inode = 0;
    qint64 size = 0;
    qint64 modifiedNs = 0, changedNs = 0;

    /// The identity of the file at path now (exists = false when it cannot be stat()ed).
    static FileIdentity of(const QString &path);
    bool operator==(const FileIdentity &) const = default;
};

/// Loaded sets by key and file identity, the most recently used first, at most maxBytes of
/// pixels and labels in all. Thread-safe: the training worker loads on its own thread.
class DatasetCache {
public:
    /// Two MNIST-sized datasets (both splits, 55 MB each): the one in use and the one the user
    /// switched from, so switching back reads nothing. A set larger than this is not kept.
    static constexpr qint64 kDefaultMaxBytes = qint64(128) << 20;

    explicit DatasetCache(qint64 maxBytes = kDefaultMaxBytes) : m_maxBytes(maxBytes) {}
    DatasetCache(const DatasetCache &) = delete;
    DatasetCache &operator=(const DatasetCache &) = delete;

    /// The process's cache (Dataset::loadShared()).
    static DatasetCache &shared();

    /// The set made by load() from `files`, under `key` (what else the result depends on: the
    /// dataset's classes and tag). The set read before is returned when every file still has the
    /// identity it had then; otherwise load() runs (outside the lock; its exceptions pass through,
    /// and nothing is cached), and its set is kept when the files did not change while it ran.
    std::shared_ptr<const MnistSet> get(const QString &key, const QStringList &files, const std::function<MnistSet()> &load);

    struct Stats {
        int hits = 0;    ///< sets handed out again
        int loads = 0;   ///< calls of load()
        int entries = 0; ///< sets kept now
        qint64 bytes = 0; ///< their pixels and labels
    };
    Stats stats() const;
    /// Drops every kept set (sets handed out live on with their holders).
    void clear();

private:
    struct Entry {
        QString key;
        QStringList files;
        std::vector<FileIdentity> identities;
        std::shared_ptr<const MnistSet> set;
        qint64 bytes = 0;
    };
    const qint64 m_maxBytes;
    mutable std::mutex m_mutex;
    std::list<Entry> m_entries; // most recently used first
    Stats m_stats;
};

} // namespace core
