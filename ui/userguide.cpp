#include "userguide.h"
#include "core/types.h"
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace ui {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("ui::UserGuide", text);
}
} // namespace

QString userGuideHtml()
{
    return tr("<h2>DigitLab user guide</h2>"
              "<p>DigitLab trains a small convolutional network on MNIST (60,000 handwritten digits), "
              "lets you draw digits for it to read, and shows where it goes wrong.</p>"
              "<h3>Train tab</h3>"
              "<ul><li><b>Hyper-parameters</b>: Epochs (passes over the training set), Batch size (images per "
              "update, usually 32-256), Learning rate (usually 0.0001-0.01; the seed recipe uses 0.001), "
              "Seed (same seed, same run), Threads. Hover a field for its range.</li>"
              "<li><b>Continue</b> trains the current weights (loaded, imported or stopped) up to Epochs; "
              "<b>Start over</b> begins a new model from the seed. Choose with the two buttons above Start.</li>"
              "<li><b>Pause/Resume</b> holds the run; <b>Stop</b> ends it within a batch (the weights so far "
              "are kept); <b>Reset weights</b> makes new random weights.</li>"
              "<li>If a run diverges (the loss climbs or becomes NaN, or the accuracy stays at chance) a "
              "warning says so and offers to stop: try a smaller learning rate.</li></ul>"
              "<h3>The network editor</h3>"
              "<p>The <b>Network</b> panel above the charts holds the network that Start trains. Pick a "
              "<b>preset</b> (<i>tutorial</i>: the PyTorch tutorial's small CNN; <i>fast</i>: 99% in seconds; "
              "<i>best</i>: 99.6% in minutes per epoch; a preset also sets its recipe), then change it: "
              "<b>Add layer</b> (or Insert in the list) offers the twelve layer kinds, <b>Remove</b> (Delete), "
              "<b>Up</b>/<b>Down</b> (Ctrl+Up, Ctrl+Down, or drag a layer). Select a layer to edit its "
              "arguments in the form beside the list. The line of text at the top is the same network in "
              "PyTorch's names: type there and the list follows, edit the list and the text follows. "
              "The table shows every layer's output shape, weights and FLOPs, the totals, and about how many "
              "seconds an epoch takes on this machine (an estimate measured on a few batches). A network "
              "that cannot train says why next to the layer at fault, and Start stays disabled until it is "
              "fixed. Undo and Redo (Ctrl+Z, Ctrl+Shift+Z) step through every edit.</p>"
              "<p><b>Recipe</b> (under the hyper-parameters, closed until you open it): optimizer (Adam, "
              "AdamW, SGD with momentum), weight decay, learning-rate schedule (constant, step decay, "
              "one-cycle), augmentation (random rotation, shift and scale of each training image; the "
              "preview shows one training digit as 16 copies the way training will see it) and held-out "
              "images (a validation set taken from the training images).</p>"
              "<p><b>Worked example.</b> Choose the <i>tutorial</i> preset and train it (Start) for a few "
              "epochs; save it if you like. Select layer 1, <i>Conv2d(10,5)</i>, press Insert and choose "
              "<i>BatchNorm2d</i>: it appears as layer 2 with output 10x24x24 and 20 weights. The "
              "<i>Continue</i> choice is now disabled (the model is another network), so Start trains the "
              "new network from new weights; the log says so. Train it for the same epochs and seed, then "
              "open the <b>Runs</b> tab, select both runs, and compare their test accuracy curves: batch "
              "normalisation usually learns faster in the first epochs. Opening a saved model shows its "
              "network and recipe in the editor again, and only then can Start continue it.</p>"
              "<h3>The charts</h3>"
              "<ul><li><b>Training loss</b> (cross-entropy, lower is better): the light band is every batch, "
              "the dark line a smoothed curve, the dashed points each epoch's mean. <b>Log scale</b> keeps "
              "small late losses visible after a large early one.</li>"
              "<li><b>Accuracy</b> on the training images (with dropout on) and the 10,000 test images, per "
              "epoch. The axis zooms to the recent epochs; <b>Show all epochs</b> shows every point.</li></ul>"
              "<h3>Draw tab</h3>"
              "<p>Draw one digit with the mouse, a pen or a finger, at any size and anywhere: the network "
              "gets the strokes re-drawn at MNIST's size and stroke width (the pen adapts to your digit), "
              "shown as the 28&times;28 <i>Network input</i>. A dot or tiny mark is not a digit. A "
              "question mark and &ldquo;Not sure&rdquo; mean the model hesitates, or that the mark "
              "(a dash, a flat oval) looks like no digit at all. Load image reads a "
              "photo or scan of a digit (dark on light or light on dark).</p>"
              "<h3>Browse tab</h3>"
              "<p>The 10,000 test images with the model's predictions. Filter by true or predicted digit or "
              "mistakes only, sort by confidence, click a cell of the confusion matrix (rows: true digit, "
              "columns: predicted) to see those images, click an image for its probabilities.</p>"
              "<h3>Datasets</h3>"
              "<p>The <i>Dataset</i> picker on the Train and Browse tabs switches between MNIST, "
              "Fashion-MNIST (clothes: Debian's <tt>dataset-fashion-mnist</tt> package is used as it is, "
              "else it can be downloaded) and a folder of IDX files with an optional <tt>classes.txt</tt> "
              "(one class name per line). Class names then label Browse, the probability bars and the "
              "Inside tab, and Draw asks for what the model knows (draw a trouser). A model remembers its "
              "dataset: continuing it on another asks first.</p>"
              "<h3>Inside tab</h3>"
              "<p>What the network does with the current input: the Draw tab's drawing, the image selected "
              "in Browse, or what you draw on the tab's own small canvas. Every layer of the network is a row, "
              "named as in the network's text (<i>4 MaxPool2d(2) 32x13x13</i>): heat maps for 2-D layers, "
              "units for 1-D ones (blue negative, white zero, red positive); a layer of many channels pages "
              "with its arrows. Hover a map (click to keep it) to see the windows and kernels that feed it "
              "and its patch of the input. Keys: Up/Down a layer, Left/Right a channel, Page Up/Down a "
              "page, Enter explains a class. <b>Explain class</b> (or click a logit or softmax bar) asks "
              "&ldquo;why this digit?&rdquo; or &ldquo;why not 7?&rdquo;: a saliency map (integrated "
              "gradients or gradient &times; input) and an occlusion map show which pixels raised or "
              "lowered that class. While training runs, the tab follows the weights as they change.</p>"
              "<h3>Files</h3>"
              "<ul><li>Checkpoints are PyTorch-readable <code>.pt</code> files: File &gt; Open, Save, "
              "Save As, Open Recent, Bundled Model (tutorial or best); drop a checkpoint on the window to open "
              "it. The status bar's picker switches between the bundled models and yours.</li>"
              "<li><b>File &gt; Import PyTorch Weights</b> reads a state_dict of the seed model as a new, "
              "unsaved model and measures its accuracy on the test set.</li>"
              "<li><b>File &gt; Export Model</b> writes the current model as ONNX (for ONNX Runtime, "
              "OpenCV's dnn or a browser) or as a PyTorch state_dict with the Python module that builds its "
              "network (<code>net = model.build(); net.load_state_dict(torch.load(f))</code>). <b>Export Charts</b> and <b>Export "
              "History</b> write the Train tab's charts as PNG and its history as CSV. The status bar "
              "names the file written.</li>"
              "<li>The last saved model you worked on is reopened at start-up.</li></ul>"
              "<h3>Runs tab</h3>"
              "<p>Every training run (here or with <code>digitlab-cli train</code>) is kept: when it ran, the "
              "network, every setting, the curves and how it ended. <b>Search</b> filters the table on any "
              "text; click a column to sort; double-click a name to rename a run; <b>Note</b> keeps a remark. "
              "Select runs (Ctrl+click, Shift+click) to draw them together, one colour each: choose the "
              "<b>X axis</b> (epoch, images seen, wall time), <b>Log loss</b>, and <b>Smoothing</b> (the raw "
              "curve stays as a faint band); hover a chart for every run's value there. <b>Difference</b> "
              "compares two runs' settings (what differs is highlighted). <b>Delete</b> hides runs until the "
              "next start (<b>Undo Delete</b> brings them back); <b>Open Checkpoint</b> and <b>Train "
              "Again</b> start from a run; the export buttons write CSV and PNG files. A run that was "
              "killed reads <i>interrupted</i>.</p>"
              "<h3>Shortcuts</h3>"
              "<table cellpadding='2'>"
              "<tr><td>Ctrl+O / Ctrl+S / Ctrl+Shift+S</td><td>open / save / save as a checkpoint</td></tr>"
              "<tr><td>Alt+T, Alt+D, Alt+B, Alt+I, Alt+U</td><td>Train, Draw, Browse, Inside, Runs tab</td></tr>"
              "<tr><td>Delete</td><td>delete the selected runs (Runs)</td></tr>"
              "<tr><td>Alt+F, Alt+H</td><td>File, Help menu</td></tr>"
              "<tr><td>Alt + underlined letter</td><td>the field or button of that label (each letter "
              "is used once per tab)</td></tr>"
              "<tr><td>Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y)</td><td>undo / redo a stroke (Draw)</td></tr>"
              "<tr><td>Esc or Delete</td><td>clear the drawing (Draw)</td></tr>"
              "<tr><td>Arrow keys</td><td>move through the grid (Browse)</td></tr>"
              "<tr><td>F1</td><td>this guide</td></tr>"
              "<tr><td>Ctrl+Q</td><td>quit (asks to save unsaved training)</td></tr>"
              "</table>");
}

void showUserGuide(QWidget *parent)
{
    const QString name = QStringLiteral("userGuide");
    if (auto *open = parent ? parent->findChild<QDialog *>(name) : nullptr) {
        open->show();
        open->raise();
        open->activateWindow();
        return;
    }
    auto *dialog = new QDialog(parent);
    dialog->setObjectName(name);
    dialog->setWindowTitle(tr("DigitLab User Guide"));
    auto *browser = new QTextBrowser(dialog);
    browser->setOpenExternalLinks(true);
    browser->setHtml(userGuideHtml());
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(browser);
    layout->addWidget(buttons);
    dialog->resize(620, 640);
    dialog->show();
}

} // namespace ui
