#include "ui/draw/drawtab.h"
#include "core/inkshape.h"
#include "core/classifier.h"
#include "core/preprocess.h"
#include "ui/digitview.h"
#include "ui/draw/drawcanvas.h"
#include "ui/modeldocument.h"
#include "ui/predictiontext.h"
#include "ui/draw/probabilitybars.h"
#include <QAction>
#include <QBoxLayout>
#include <QFileDialog>
#include <QFrame>
#include <QLabel>
#include <QSplitter>
#include <QTimer>
#include <QToolButton>
#include <QUndoStack>

namespace ui {

namespace {
QToolButton *buttonFor(QAction *action, QWidget *parent)
{
    auto *b = new QToolButton(parent);
    b->setDefaultAction(action);
    b->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return b;
}
} // namespace

DrawTab::DrawTab(ModelDocument *state, QWidget *parent)
    : QWidget(parent), m_state(state), m_canvas(new DrawCanvas(this)), m_input(new DigitView(this)),
      m_digit(new QLabel(this)), m_confidence(new QLabel(this)), m_doubt(new QLabel(this)),
      m_message(new QLabel(this)), m_bars(new ProbabilityBars(this)), m_throttle(new QTimer(this))
{
    setObjectName(QStringLiteral("drawTab"));
    m_canvas->setObjectName(QStringLiteral("drawCanvas"));
    m_input->setObjectName(QStringLiteral("networkInput"));
    m_input->setAccessibleName(tr("Network input, 28 by 28 pixels"));
    m_bars->setObjectName(QStringLiteral("drawBars"));
    m_digit->setObjectName(QStringLiteral("predictedDigit"));
    m_confidence->setObjectName(QStringLiteral("drawConfidence"));

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(buildDrawingSide());
    splitter->addWidget(buildVerdictSide());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    m_throttle->setSingleShot(true);
    connect(m_throttle, &QTimer::timeout, this, &DrawTab::predictNow);
    connect(m_canvas, &DrawCanvas::inkChanged, this, &DrawTab::scheduleLivePrediction);
    connect(m_canvas, &DrawCanvas::drawingSettled, this, [this] {
        m_message->hide();
        predictNow();
    });
    connect(m_canvas, &DrawCanvas::loadFailed, this, [this](const QString &message) { showMessage(message, true); });
    connect(m_state, &ModelDocument::classifierChanged, this, [this] {
        followDataset();
        predictNow();
    });

    followDataset();
    predictNow();
}

void DrawTab::followDataset()
{
    const auto classifier = m_state->classifier();
    const core::Dataset dataset = core::Dataset::fromTag(classifier ? classifier->info().dataset : core::DatasetTag{});
    if (dataset.id == m_dataset.id && dataset.classNames == m_dataset.classNames)
        return;
    m_dataset = dataset;
    QStringList labels;
    for (int c = 0; c < m_dataset.classes(); ++c)
        labels << m_dataset.classText(c);
    m_bars->setClassLabels(labels);
    m_canvas->setToolTip(m_dataset.isBuiltin && m_dataset.id == QLatin1String("mnist")
                             ? tr("Draw one digit. Its size and position do not matter: the strokes are re-drawn for the "
                                  "network at MNIST's size and stroke width. A dot or tiny mark is not a digit.")
                             : QStringLiteral("%1. %2").arg(m_dataset.drawPrompt, m_dataset.drawHelp));
    m_input->setPlaceholderText(m_dataset.drawPrompt.toLower());
}

// The tab's actions (with their shortcuts) as a row of buttons.
QHBoxLayout *DrawTab::createActions()
{
    // Shortcuts belong to this tab (and its children) only, so they never fight the main window's.
    auto addShortcutAction = [this](QAction *a) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
        return a;
    };
    auto *clearAction = addShortcutAction(new QAction(tr("Clear"), this));
    clearAction->setShortcuts({QKeySequence(Qt::Key_Escape), QKeySequence(Qt::Key_Delete)});
    clearAction->setToolTip(tr("Erase the drawing (Esc, Delete)"));
    connect(clearAction, &QAction::triggered, m_canvas, &DrawCanvas::clear);

    QUndoStack *undo = m_canvas->undoStack();
    auto *undoAction = addShortcutAction(undo->createUndoAction(this, tr("Undo")));
    undoAction->setShortcut(QKeySequence::Undo);
    undoAction->setToolTip(tr("Undo the last stroke (Ctrl+Z)"));
    auto *redoAction = addShortcutAction(undo->createRedoAction(this, tr("Redo")));
    redoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redoAction->setToolTip(tr("Redo (Ctrl+Shift+Z)"));
    // The stack's own texts ("Undo Stroke") would make the buttons jump in width.
    connect(undo, &QUndoStack::undoTextChanged, undoAction, [undoAction] { undoAction->setText(tr("Undo")); });
    connect(undo, &QUndoStack::redoTextChanged, redoAction, [redoAction] { redoAction->setText(tr("Redo")); });

    auto *loadAction = addShortcutAction(new QAction(tr("Load image…"), this));
    loadAction->setToolTip(tr("Classify a digit from an image file (or drop one on the canvas)"));
    connect(loadAction, &QAction::triggered, this, &DrawTab::loadImage);
    auto *saveAction = addShortcutAction(new QAction(tr("Save PNG…"), this));
    saveAction->setToolTip(tr("Save the drawing as a PNG image"));
    connect(saveAction, &QAction::triggered, this, &DrawTab::saveDrawing);

    auto *buttons = new QHBoxLayout;
    for (QAction *a : {clearAction, undoAction, redoAction})
        buttons->addWidget(buttonFor(a, this));
    buttons->addSpacing(12);
    for (QAction *a : {loadAction, saveAction})
        buttons->addWidget(buttonFor(a, this));
    buttons->addStretch();
    return buttons;
}

// Left: the buttons, the canvas and the note on the pen.
QWidget *DrawTab::buildDrawingSide()
{
    QHBoxLayout *buttons = createActions();
    auto *canvasFrame = new QFrame(this);
    canvasFrame->setFrameShape(QFrame::StyledPanel);
    auto *canvasLayout = new QVBoxLayout(canvasFrame);
    canvasLayout->setContentsMargins(1, 1, 1, 1);
    canvasLayout->addWidget(m_canvas);

    // No brush size to set: the network gets the strokes re-drawn at MNIST's width for the
    // digit's own size (DrawCanvas::networkImage), so the pen adapts. Say so where one would look.
    auto *penNote = new QLabel(tr("Draw at any size, anywhere: the pen adapts, the network sees MNIST-width strokes."), this);
    penNote->setObjectName(QStringLiteral("penNote"));
    penNote->setWordWrap(true);
    penNote->setForegroundRole(QPalette::PlaceholderText);
    m_canvas->setToolTip(tr("Draw one digit. Its size and position do not matter: the strokes are re-drawn for the "
                            "network at MNIST's size and stroke width. A dot or tiny mark is not a digit."));

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(canvasFrame, 1);
    leftLayout->addWidget(penNote);
    // Errors (a damaged image, a failed save) under the canvas, the full width: a long path and
    // the decoder's words take a line or two here, where the verdict column would be squeezed.
    leftLayout->addWidget(m_message);
    return left;
}

void DrawTab::styleVerdictLabels()
{
    QFont big = font();
    big.setPointSizeF(big.pointSizeF() * 5);
    big.setBold(true);
    m_digit->setFont(big);
    m_digit->setAlignment(Qt::AlignCenter);
    m_digit->setMinimumHeight(QFontMetrics(big).height());

    m_doubt->setWordWrap(true);
    QFont doubtFont = font();
    doubtFont.setBold(true);
    m_doubt->setFont(doubtFont);
    m_doubt->setStyleSheet(QStringLiteral("color: #c07000"));
    // Room reserved for the lines that come and go (confidence, a two-line doubt or the "too
    // small" note), so the Probabilities block below does not jump between predictions.
    m_confidence->setWordWrap(true);
    m_confidence->setMinimumHeight(2 * QFontMetrics(font()).lineSpacing());
    m_confidence->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_doubt->setMinimumHeight(2 * QFontMetrics(doubtFont).lineSpacing());
    m_doubt->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_message->hide();
}

// Right: what the network sees, and what it says.
QWidget *DrawTab::buildVerdictSide()
{
    auto *inputTitle = new QLabel(tr("Network input (28×28)"), this);
    m_input->setPlaceholderText(tr("draw a digit"));
    m_input->setFixedSize(7 * core::kSide, 7 * core::kSide); // 7 screen pixels per input pixel
    m_input->setToolTip(tr("The drawing normalised as MNIST was: 20×20 box, centred by mass"));

    styleVerdictLabels();

    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(8, 0, 0, 0);
    rightLayout->addWidget(inputTitle);
    rightLayout->addWidget(m_input, 0, Qt::AlignHCenter);
    rightLayout->addSpacing(6);
    rightLayout->addWidget(m_digit);
    rightLayout->addWidget(m_confidence);
    rightLayout->addWidget(m_doubt);
    rightLayout->addSpacing(6);
    rightLayout->addWidget(new QLabel(tr("Probabilities"), this));
    rightLayout->addWidget(m_bars);
    rightLayout->addStretch();
    return right;
}

DrawTab::~DrawTab() = default;

QString DrawTab::verdictText() const
{
    return m_digit->text();
}

QString DrawTab::doubtText() const
{
    return m_doubt->text();
}

void DrawTab::scheduleLivePrediction()
{
    // Leading and trailing throttle: the first change predicts at once, later ones at most every
    // kPredictIntervalMs, and the last change is never left unpredicted.
    const qint64 elapsed = m_sinceLast.isValid() ? m_sinceLast.elapsed() : kPredictIntervalMs;
    if (elapsed >= kPredictIntervalMs)
        predictNow();
    else if (!m_throttle->isActive())
        m_throttle->start(int(kPredictIntervalMs - elapsed));
}

void DrawTab::showMessage(const QString &text, bool error)
{
    m_message->setStyleSheet(error ? QStringLiteral("color: #c0392b") : QString());
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
}

// The prompt is a sentence in a normal-sized font; a digit is shown large. Fonts and palettes are
// only touched when they change: each set is a relayout.
void DrawTab::showVerdict(const QString &text, bool prompt, const QColor &colour)
{
    if (prompt != m_verdictIsPrompt || m_digit->text().isEmpty()) {
        QFont f = font();
        f.setPointSizeF(font().pointSizeF() * (prompt ? 1.4 : 5));
        f.setBold(!prompt);
        m_digit->setFont(f);
        m_verdictIsPrompt = prompt;
    }
    const QColor c = colour.isValid() ? colour : palette().color(QPalette::WindowText);
    if (m_digit->palette().color(QPalette::WindowText) != c) {
        QPalette pal = m_digit->palette();
        pal.setColor(QPalette::WindowText, c);
        m_digit->setPalette(pal);
    }
    if (m_digit->text() != text)
        m_digit->setText(text);
}

void DrawTab::predictNow()
{
    m_throttle->stop();
    m_sinceLast.start();
    ++m_predictionCount;
    m_prediction = core::Prediction{};
    core::NormalisedDigit digit;
    try {
        // The strokes re-rendered with a pen proportional to the digit's size (a loaded image as
        // shown), normalised with the known polarity: the same input in the Draw and Inside tabs.
        digit = m_canvas->networkDigit();
    } catch (const std::exception &e) {
        showMessage(QString::fromUtf8(e.what()), true);
    }
    if (digit.blank)
        showBlank();
    else
        classify(digit);
    Q_EMIT predicted(m_prediction);
}

// Nothing drawn (or too little to be a digit): no input, no prediction.
void DrawTab::showBlank()
{
    m_inputImage = QImage();
    m_input->setImage(m_inputImage);
    if (isVisible()) // the Inside tab (issue 11): what the user draws, not re-predictions for a new model
        m_state->setCurrentInput({}, tr("your drawing"));
    const bool digits = m_dataset.id == QLatin1String("mnist");
    showVerdict(m_canvas->hasLoadedImage() ? (digits ? tr("no digit") : tr("no drawing")) : (digits ? tr("draw a digit") : m_dataset.drawPrompt),
                true, palette().color(QPalette::PlaceholderText));
    // A dot or a slip of the pen is not a digit: say why nothing is predicted.
    if (m_canvas->isTooSmall())
        m_confidence->setText(tr("That mark is too small to be a digit: draw it larger."));
    else if (m_canvas->hasLoadedImage())
        m_confidence->setText(tr("The loaded image shows no ink: it is one flat colour."));
    else
        m_confidence->clear();
    m_doubt->clear();
    m_bars->clear();
}

// Shows the network's input and, with a model, its verdict; sets m_prediction.
void DrawTab::classify(const core::NormalisedDigit &digit)
{
    const QColor muted = palette().color(QPalette::PlaceholderText);
    m_inputImage = digit.toImage();
    m_input->setImage(m_inputImage);
    if (isVisible()) // the Inside tab (issue 11), as in showBlank()
        m_state->setCurrentInput({digit.pixels.begin(), digit.pixels.end()}, tr("your drawing"));

    const std::shared_ptr<const core::Classifier> classifier = m_state->classifier();
    if (!classifier) {
        showVerdict(tr("no model"), true, muted);
        m_confidence->setText(tr("Load a checkpoint or train a model to classify drawings."));
        m_doubt->clear();
        m_bars->clear();
        return;
    }
    try {
        m_prediction = classifier->predict(digit.pixels.data());
    } catch (const std::exception &e) {
        showMessage(QString::fromUtf8(e.what()), true);
        m_prediction = core::Prediction{};
        m_bars->clear();
        showVerdict(QStringLiteral("–"), false, muted);
        return;
    }
    // The network answers for any ink, confidently too for a dash or a flat oval (issue 16 item
    // 5): ink shaped like no digit is a guess whatever the softmax says.
    QString unlike;
    // Digit shapes only: a trouser is unlike any digit and rightly so.
    const bool noDigitShape = m_dataset.id == QLatin1String("mnist") && core::inkshape::unlikeAnyDigit(digit.pixels.data(), &unlike);
    const bool unsure = m_prediction.unsure() || noDigitShape;
    // An unsure guess is shown as a guess: question mark, muted colour, the doubt spelled out.
    // The class's name (a number for MNIST); a name is shown at the prompt's size to fit.
    const QString label = m_dataset.classLabel(m_prediction.digit);
    showVerdict(unsure ? QStringLiteral("%1?").arg(label) : label, label.size() > 3, unsure ? QColor(0xc0, 0x70, 0x00) : QColor());
    m_confidence->setText(tr("confidence %1%").arg(double(m_prediction.confidence) * 100, 0, 'f', 1));
    m_doubt->setText(noDigitShape ? tr("Not sure: %1").arg(unlike) : doubtSentence(m_prediction));
    m_bars->setProbabilities(m_prediction.probabilities);
}

void DrawTab::loadImage()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load a digit image"), QString(),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.gif *.pgm *.pbm *.ppm *.webp *.tif *.tiff);;All files (*)"));
    if (!path.isEmpty())
        m_canvas->loadImageFile(path);
}

void DrawTab::saveDrawing()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save drawing"), tr("digit.png"), tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
        path += QStringLiteral(".png");
    QString error;
    if (!m_canvas->saveImage(path, &error))
        showMessage(error, true);
}

} // namespace ui
