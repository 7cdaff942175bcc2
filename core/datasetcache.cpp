#include "datasetcache.h"

#include <QFile>
#include <sys/stat.h>

namespace core {

namespace {

std::vector<FileIdentity> identities(const QStringList &files)
{
    std::vector<FileIdentity> ids;
    ids.reserve(std::size_t(files.size()));
    for (const QString &f : files)
        ids.push_back(FileIdentity::of(f));
    return ids;
}

bool allExist(const std::vector<FileIdentity> &ids)
{
    for (const FileIdentity &id : ids)
        if (!id.exists)
            return false;
    return true;
}

} // namespace

FileIdentity FileIdentity::of(const QString &path)
{
    FileIdentity id;
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return id;
    id.exists = true;
    id.device = quint64(st.st_dev);
    id.inode = quint64(st.st_ino);
    id.size = qint64(st.st_size);
    id.modifiedNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    id.changedNs = qint64(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    return id;
}

DatasetCache &DatasetCache::shared()
{
    static DatasetCache cache;
    return cache;
}

std::shared_ptr<const MnistSet> DatasetCache::get(const QString &key, const QStringList &files,
                                                  const std::function<MnistSet()> &load)
{
    const std::vector<FileIdentity> before = identities(files);
    {
        const std::lock_guard lock(m_mutex);
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
            if (it->key == key && it->files == files) {
                if (it->identities == before && allExist(before)) {
                    m_entries.splice(m_entries.begin(), m_entries, it);
                    ++m_stats.hits;
                    return it->set;
                }
                // Changed since it was read: never handed out again.
                m_stats.bytes -= it->bytes;
                m_entries.erase(it);
                break;
            }
        ++m_stats.loads;
    }
    // Read outside the lock: another split or dataset may load meanwhile on another thread.
    auto set = std::make_shared<const MnistSet>(load());
    // A file that changed while it was read may have given a mix of old and new bytes (the
    // checks passed, but the next load must look again): handed out once, not kept.
    if (before != identities(files) || !allExist(before))
        return set;
    const qint64 bytes = qint64(set->images.size() + set->labels.size());
    if (bytes > m_maxBytes)
        return set;
    const std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
        if (it->key == key && it->files == files) { // loaded meanwhile by another thread
            m_stats.bytes -= it->bytes;
            m_entries.erase(it);
            break;
        }
    m_entries.push_front(Entry{key, files, before, set, bytes});
    m_stats.bytes += bytes;
    while (m_stats.bytes > m_maxBytes) {
        m_stats.bytes -= m_entries.back().bytes;
        m_entries.pop_back();
    }
    return set;
}

DatasetCache::Stats DatasetCache::stats() const
{
    const std::lock_guard lock(m_mutex);
    Stats s = m_stats;
    s.entries = int(m_entries.size());
    return s;
}

void DatasetCache::clear()
{
    const std::lock_guard lock(m_mutex);
    m_entries.clear();
    m_stats.bytes = 0;
}

} // namespace core
