# Dəzgah user interface, English.
# Every id here must also be in az.ftl (a test checks both files have the same ids and arguments).

app-tagline = Workbench for Azerbaijani language models

## Work areas
area-corpus = Corpus
area-tokenizer = Tokenizer
area-sft = SFT
area-rating = Rating
area-training = Training
area-playground = Playground
area-settings = Settings

## Shared
col-id = #
col-name = Name
col-documents = Documents
col-characters = Characters
col-file = File
col-kind = Kind
col-vocab = Vocabulary
col-prompt = Prompt
col-responses = Responses
col-ratings = Ratings
col-stage = Stage
col-status = Status
action-reveal-folder = Show folder
action-reveal-folder-hint = Open this folder in the file manager
# Where the native file dialog cannot open (no desktop portal, no zenity)
path-dialog-unavailable = The file dialog cannot open on this desktop: type or paste a path and press Enter.
path-dialog-unavailable-hint = The dialog needs a desktop portal (xdg-desktop-portal with its GTK or KDE part) or zenity; scripts/setup.sh installs them
path-field-for = Path for “{ $action }”
path-field-hint = /home/…/file, ~/file or file://…
path-use = Use
path-empty = Type or paste a path first.
path-not-found = There is no file or folder at { $path }.
path-is-folder = { $path } is a folder; give a file.
path-no-folder = The folder { $path } does not exist.
action-cancel = Cancel
action-cancel-job-hint = Stop this job at its next step
action-dismiss = Dismiss
role-user = User
role-assistant = Assistant
status-draft = draft
status-ready = ready
status-rejected = rejected
workspace-failed-title = The workspace could not be opened
workspace-go-settings = Choose another workspace…
workspace-disk-full = The disk holding { $folder } is full ({ $free } bytes free). Free some space and open the workspace again: its database is sound.
workspace-db-empty = { $file } is empty (0 bytes): it is not a Dəzgah workspace database. Remove it to start a new workspace here, or choose another folder.

## Corpus
corpus-about = Raw Azerbaijani text — news, books, laws, web pages — turned into clean, deduplicated training corpora.
corpus-empty-title = No corpora in this workspace yet
corpus-empty-body = Import .txt, .md, .jsonl or .parquet files with the button above, or drop them onto the window. Select a corpus to browse its documents, clean them with Azerbaijani-aware rules, filter them by quality, remove duplicates and export the result. Corpus files are kept in the workspace's corpora folder:
corpus-import = Import files…
corpus-import-hint = Adds .txt, .md, .jsonl or .parquet files (the text ones also as .gz or .zst) to the workspace as one new corpus
corpus-import-folder = Import a folder…
corpus-import-folder-hint = Adds every .txt, .md, .jsonl and .parquet file under a folder (the text ones also as .gz or .zst) as one new corpus
corpus-unit = One document per:
corpus-unit-line = line
corpus-unit-paragraph = paragraph
corpus-unit-file = file
corpus-drop-hint = Or drop files onto the window. Importing runs in the background; the status bar shows its progress.
corpus-select-hint = Show what is in this corpus
corpus-list-hide = Hide the corpus list
corpus-list-show = Show the corpus list ({ $count })
corpus-list-hint = Folds the import controls and the corpus table away to give the selected corpus the window; the border between them can be dragged too
corpus-stats-computing = Computing statistics…
corpus-stats-failed = The statistics could not be computed: { $error }
corpus-stats-summary = { $documents ->
        [one] { $documents } document
       *[other] { $documents } documents
    } · { $characters ->
        [one] { $characters } character
       *[other] { $characters } characters
    } · { $words ->
        [one] { $words } word
       *[other] { $words } words
    }
corpus-stats-scripts = Scripts
corpus-stats-languages = Languages
corpus-stats-anomalies = Documents with
corpus-stats-anomaly-counts = mixed-script words { $mixed } · split words { $split } · ə look-alikes { $schwa } · U+FFFD { $replacement } · control characters { $control }
corpus-stats-top-words = Most frequent words
corpus-stats-length = Document length
corpus-stats-length-axis = log₂ of characters
corpus-stats-documents = documents
job-import-corpus = Importing { $name }
job-corpus-stats = Statistics of { $name }
count-corpora = { $count ->
    [one] 1 corpus
   *[other] { $count } corpora
}

## Tokenizer
tokenizer-about = Train byte-level BPE and Unigram tokenizers on your corpora, see how Azerbaijani text splits, and compare tokenizers.
tokenizer-empty-title = No tokenizers in this workspace yet
tokenizer-empty-body = Tokenizers you train here, or add from a tokenizer.json (a Hugging Face model folder's, say), are listed here with their kind and vocabulary. They are kept in the workspace's tokenizers folder:

## SFT
sft-about = Prompt and answer examples for supervised finetuning, written and reviewed by annotators.
sft-empty-title = No SFT examples in this workspace yet
sft-empty-body = Write examples here, or import TRL messages, prompt/completion, Alpaca or ShareGPT JSONL with the Import button.
sft-new = New example
sft-pick = Pick an example from the list, or start a new one.
sft-start-hint = { $keys } starts a new example; ? lists every shortcut.
sft-format = Format:
sft-import = Import…
sft-import-hint = Add the examples of a JSONL file in the chosen format; bad lines are listed by number in the job's log
sft-export = Export…
sft-export-hint = Write the examples that pass the status, domain and tag filters as JSONL in the chosen format, with a 10% validation file beside it
sft-tokenizer = Tokenizer:
sft-tokenizer-none = none
sft-context = Context:
sft-context-hint = The model's context length in tokens; longer conversations are flagged
sft-keys = Shortcuts (?)
sft-keys-hint = Every keyboard shortcut of this area
sft-search = Search examples
sft-search-hint = Search text, tags, domain or #id ({ $keys })
sft-filter-status = Status:
sft-filter-domain = Domain:
sft-filter-tag = Tag:
sft-filter-author = Author:
sft-filter-provenance = Provenance:
sft-filter-problem = Problem:
sft-filter-any = any
sft-sort = Order:
sft-sort-newest = newest first
sft-sort-oldest = oldest first
sft-sort-updated = recently edited
sft-sort-longest = longest first
sft-problem-kind-empty = empty or missing turns
sft-problem-kind-duplicate = duplicates
sft-problem-kind-cyrillic = Cyrillic in Latin text
sft-problem-kind-language = not Azerbaijani
sft-problem-kind-too-long = longer than the context
sft-shown = { $shown } of { $count } shown
sft-checking = checking…
sft-untitled = (empty prompt)
sft-row-problems = Problems found by the checks: open the example to see them
provenance-written = written
provenance-translated = translated
provenance-paraphrased = paraphrased
provenance-imported = imported
provenance-model-generated = model-generated
sft-provenance = Provenance:
sft-undo = Undo
sft-redo = Redo
sft-saved = saved
sft-saving = saving…
sft-delete = Delete
sft-no-author = no author
sft-meta = by { $author }
sft-saved-at = Last written to the workspace database at { $time } UTC
sft-model-text = Contains model text nobody has edited yet: it stays marked model-generated until a person edits it and marks it ready.
sft-system = System prompt
sft-system-hint = Optional: how the assistant should behave
sft-turn = Turn { $n }
sft-turn-field = Text of turn { $n }
sft-tokens = { $count ->
        [one] { $count } token
       *[other] { $count } tokens
    }
sft-turn-remove = Remove this turn
sft-turn-up = Move up
sft-turn-down = Move down
sft-draft-answer = Draft answer
sft-draft-answer-hint = Let the assist model write this answer from the turns above (marked model-generated)
sft-draft-paraphrase = Paraphrase
sft-draft-paraphrase-hint = Let the assist model say this turn in other words (marked model-generated)
sft-prompt-hint = What the user asks…
sft-answer-hint = The answer the model should learn…
sft-add-turn = + { $role } turn
sft-tokens-total = { $count ->
        [one] { $count } token
       *[other] { $count } tokens
    } in total with the chat template (context { $context })
sft-tags = Tags:
sft-tag-remove = Remove this tag
sft-tag-hint = new tag, Enter
sft-tag-new = New tag
sft-domain = Domain:
sft-domain-hint = e.g. law
sft-assist = Assist: drafts from a passage or a model
sft-assist-passage-about = Make a draft from a corpus passage: the template with the passage becomes the prompt, you write the answer. Select part of the passage to use only that part.
sft-template = Template:
sft-template-custom = custom
sft-template-summary = Summarise the passage
sft-template-questions = Questions and answers on it
sft-template-explain = Explain it simply
sft-template-title = Suggest a title
sft-template-text = Template ({"{"}passage{"}"} marks where the passage goes):
sft-passage = Passage:
sft-passage-from = Passage from { $source }:
sft-passage-hint = Paste a passage, or open a document in the Corpus area and press "Use for an SFT draft"
sft-passage-from-corpus = Take the open corpus document
sft-passage-from-corpus-hint = The document open in the Corpus area's Documents tab
sft-draft-from-passage = New draft from the passage
sft-draft-from-selection = New draft from the selection
sft-assist-model-about = Draft answers or paraphrases with a trained model; its text stays marked model-generated until you edit and approve it.
sft-model = Model:
sft-model-none = none
sft-checkpoint = Checkpoint:
sft-checkpoint-hint = best, last or a step number
sft-temperature = Temperature:
sft-max-tokens = Max tokens:
sft-seed = Seed:
sft-drafting = The model is writing a draft…
sft-problem-missing-turn = No { $role } turn
sft-problem-empty-turn = Turn { $n } is empty
sft-problem-exact-duplicate = Same text as #{ $id }
sft-problem-near-duplicate = Nearly the same as #{ $id } ({ $percent }% alike)
sft-problem-cyrillic = Cyrillic letters in Latin text ({ $where }): { $words }
sft-problem-language = Turn { $n } reads as { $lang }, not Azerbaijani
sft-problem-too-long = { $count } tokens: longer than the context of { $context }
language-name = { $code ->
    [tr] Turkish
    [ru] Russian
    [en] English
    [fa] Persian
    [ar] Arabic
    [de] German
    [fr] French
    [kk] Kazakh
    [uk] Ukrainian
    [ka] Georgian
    [hy] Armenian
   *[other] { $code }
}
sft-keys-title = Keyboard shortcuts
sft-key-new = New example
sft-key-next = Next example in the list
sft-key-previous = Previous example in the list
sft-key-next-turn = Next turn (adds one after the last)
sft-key-ready = Mark ready
sft-key-rejected = Mark rejected
sft-key-draft = Mark draft
sft-key-search = Search the list
sft-key-undo = Undo
sft-key-redo = Redo (also Ctrl+Y)
sft-key-delete = Delete the example (asks first)
sft-key-help = Show or hide this list (? when no field is being typed in)
sft-key-areas = Switch areas
sft-key-quit = Quit (everything is already saved)
sft-keys-close = Close
sft-delete-confirm = Delete example #{ $id }? This cannot be undone.
sft-save-gone = Example #{ $id } was deleted elsewhere; your edits are kept on screen only.
job-sft-draft-answer = Draft an answer with { $run }
job-sft-draft-paraphrase = Paraphrase with { $run }
job-sft-import = Import SFT examples from { $file }
job-sft-export = Export SFT examples to { $file }
corpus-doc-to-sft = Use for an SFT draft
corpus-doc-to-sft-hint = Open the SFT area's assist box with this document as the passage
count-sft-examples = { $count ->
    [one] 1 example
   *[other] { $count } examples
}

## Rating
rating-about = Compare model answers side by side; the judgements become preference data for DPO.
rating-empty-title = No preference items in this workspace yet
rating-empty-body = Prompts with two or more candidate answers, generated by a model or imported from JSONL, will wait here for annotators. Preference data is exported to the workspace's exports folder:
rating-need-annotator = Set your annotator name in Settings first: every judgement is signed.
rating-choose-first = Choose first: 1 left better, 2 right better, 3 tie, 4 both bad.
rating-rank-all = Rank every response first: press their numbers best first (0 starts over).
rating-rank-about = Three or more responses: press their numbers (or click them) from best to worst; the last one left is ranked last by itself. 0 starts over.
rating-response-n = Response { $letter } ({ $key })
rating-rank-hint = Put this response next in your ranking
rating-rank = rank { $n }
rating-ranking = Your ranking: { $order }
rating-rank-clear = Start over
rating-go-settings = Open Settings
rating-tab-rate = Rate
rating-tab-agreement = Agreement and export
rating-progress = { $name }: { $done } of { $total } done
rating-import = Import items…
rating-import-hint = JSONL with "prompt" and a "responses" list, or TRL "prompt"/"chosen"/"rejected" to review
rating-judgements = Judgements per item:
rating-judgements-hint = How many annotators must judge each imported item
rating-previous = Previous item (←)
rating-next = Next item (→)
rating-item = Item #{ $id } · { $n } of { $count }
rating-earlier = You chose: { $choice } (submitting again replaces it)
rating-prompt = Prompt
rating-response-a = Response A (left)
rating-response-b = Response B (right)
rating-score = Score:
rating-score-hint = Optional: 1 (poor) to 5 (excellent); click again to clear
rating-choice-a = A is better (1)
rating-choice-b = B is better (2)
rating-choice-tie = Tie (3)
rating-choice-both-bad = Both bad (4)
rating-skipped = skipped
rating-comment = Comment:
rating-comment-hint = Optional: why
rating-submit = Submit
rating-submit-hint = Enter: saved at once, then the next item
rating-skip = Skip
rating-skip-hint = Backspace: recorded as skipped; the item goes to someone else
rating-keys = Keys: 1 2 3 4 choose · Enter submit · Backspace skip · ← → move (outside text fields)
rating-better = Write a better answer
rating-better-about = A better answer than both becomes a new SFT example (draft, written by you) with this prompt.
rating-better-answer = Better answer:
rating-better-save = Save as SFT example
rating-better-saved = Saved as SFT example #{ $id }.
rating-guidelines = Guidelines
rating-guidelines-edit = Edit
rating-guidelines-done = Done
rating-guidelines-empty = No guidelines yet. Press Edit to write them (markdown: # headings, - bullets); every annotator of this workspace sees them here.
rating-verdict-won = Response { $n } is better
rating-summary = { $items } items · { $judged } judged · { $judgements } judgements, { $skipped } skipped · { $decided } decided, { $adjudicated } by an adjudicator
rating-alpha = Krippendorff's alpha (all annotators): { $alpha }
rating-position-bias = Position bias: the left response won { $share } of the choices that picked a side (50% is none)
rating-col-annotators = Annotators
rating-col-items = Items both judged
rating-col-kappa = Cohen's kappa
rating-col-annotator = Annotator
rating-col-judgements = Judgements
rating-disagreements = Disagreements to settle: { $count }
rating-no-disagreements = None: every item judged twice or more has one verdict, or an adjudicator's.
rating-more-disagreements = …and { $count } more, shown as these are settled.
rating-open = Open
rating-adjudicate = Adjudicate:
rating-export = Export
rating-export-format = Format:
rating-format-trl = TRL preference (strings)
rating-format-trl-messages = TRL preference (message lists)
rating-format-kto = KTO (unpaired)
rating-min-agreement = Minimum agreement:
rating-min-agreement-hint = Leave out items whose verdict fewer than this share of their annotators gave (adjudicated items always count)
rating-include-imported = Imported labels of items nobody judged
rating-ties-as-good = Ties: both desirable
rating-both-bad-as-bad = Both bad: both undesirable
rating-export-button = Export…
rating-export-hint = Writes the JSONL atomically, with a summary (counts, agreement, position bias) beside it
job-prefs-import = Import preference items from { $file }
job-prefs-export = Export preferences to { $file }
rating-generate = Generate candidates with a model
rating-generate-about = Sample answers to each prompt from one or two checkpoints (different seeds and temperatures); every prompt with two or more distinct answers becomes an item to rate.
rating-generate-prompts = Prompts:
rating-source-sft-ready = ready SFT examples
rating-source-sft-all = all SFT examples
rating-source-typed = typed (one per line)
rating-prompts-file = From a text file…
rating-prompts-typed = Prompts, one per line:
rating-model-a = Model A:
rating-model-b = Model B:
rating-per-model = Answers per model:
rating-generate-start = Generate
rating-generate-needs = Choose at least one model and give at least one prompt.
job-prefs-generate = Generate candidates for { $count ->
        [one] { $count } prompt
       *[other] { $count } prompts
    }
count-preference-items = { $count ->
    [one] 1 preference item
   *[other] { $count } preference items
}, { $ratings ->
    [one] 1 rating
   *[other] { $ratings } ratings
}

## Training
training-about = Pretrain, finetune (SFT) and align (DPO) small llama-style models, and watch their curves live.
training-empty-title = No training runs in this workspace yet
training-empty-body = Each run — its settings, loss curves, samples and checkpoints — will be listed here. Runs are kept in the workspace's runs folder:
training-empty-start = Launch the first run
training-used-by = Used by runs:
training-col-runs = Runs
training-tab-launch = New run
training-tab-monitor = Run
training-tab-monitor-named = Run: { $name }
training-tab-history = All runs ({ $count })
training-launch-title = Launch a training run
training-field-name = Run name
training-field-name-hint = The run's folder under runs/; letters, digits and dashes work best
training-field-stage = Stage
training-field-stage-hint = What kind of training: from scratch, more text, chat examples or preferences
training-stage-pretrain = Pretrain
training-stage-pretrain-hint = Train a new model from random weights on plain text
training-stage-continue = Continue
training-stage-continue-hint = Go on pretraining a checkpoint on more (or other) text
training-stage-sft = SFT
training-stage-sft-hint = Finetune a checkpoint on the workspace's ready prompt/answer examples; the loss covers the answers only
training-stage-dpo = DPO
training-stage-dpo-hint = Align a checkpoint with the workspace's rated answer pairs, against a frozen copy of itself
training-field-data = Data
training-field-data-hint = What the model learns from
training-corpus-choice = { $name } ({ $documents ->
        [one] { $documents } document
       *[other] { $documents } documents
    })
training-data-sft = The workspace's ready SFT examples: { $count }
training-data-dpo = The workspace's rated preference pairs: { $count }
training-data-sft-short = { $count ->
        [one] { $count } SFT example
       *[other] { $count } SFT examples
    }
training-data-dpo-short = { $count ->
        [one] { $count } preference pair
       *[other] { $count } preference pairs
    }
training-no-corpus = No corpus yet: import one in the Corpus area
training-field-base = Start from
training-field-base-hint = The run whose checkpoint this stage starts from; its model shape and tokenizer come with it
training-field-checkpoint = checkpoint
training-field-checkpoint-hint = best (lowest validation loss), last, or a step number
training-none = (none)
training-field-tokenizer = Tokenizer
training-field-tokenizer-hint = Sets the vocabulary; a finetune must keep its base run's tokenizer
training-tokenizer-of-base = The base run's tokenizer
training-no-tokenizer = No tokenizer yet: train one in the
training-model-title = Model
training-field-preset = Preset
training-field-preset-hint = Named sizes with their parameter counts at this tokenizer's vocabulary
training-custom = Custom sizes
training-custom-hint = Choose every dimension yourself
training-field-hidden = Width
training-field-hidden-hint = Hidden size: the width of every layer
training-field-layers = Layers
training-field-layers-hint = Number of transformer blocks
training-field-heads = Heads
training-field-heads-hint = Attention heads; the width must divide by it
training-field-kv-heads = KV heads
training-field-kv-heads-hint = Key/value heads (grouped-query attention); the heads must divide by it
training-field-intermediate = MLP width
training-field-intermediate-hint = The SwiGLU hidden size, about 8/3 of the width
training-field-context = Context
training-field-context-hint = The longest sequence the model can read, in tokens
training-field-experts = Experts
training-field-experts-hint = Mixture of experts: experts per layer (0 = one dense MLP)
training-field-top-k = Top-k
training-field-top-k-hint = Experts each token is routed to
training-model-from-base = The model's shape comes from the base checkpoint.
training-model-size = { $params } parameters · { $layers } layers × { $hidden } wide · context { $context } · vocabulary { $vocab } · memory ≈ { $state } (weights, gradients, AdamW) + { $activations } (activations)
training-model-size-hint = An estimate for f32 training; a GPU needs some more for its own workspace
training-device-gpu = { $device } · { $name } · { $free } free
training-gpu-fits = This run needs about { $need }; { $device } ({ $name }) has { $free } free of { $total }
training-gpu-too-small = This run needs about { $need }, more than the { $free } free on { $device } ({ $name }, { $total }): lower the batch size or the sequence length, or compute in bf16
training-gpu-unknown = The GPU list is not available: { $error }
training-gpu-no-cuda-build = { $count ->
        [one] An NVIDIA GPU is here ({ $names }), but this build trains on the CPU only: build it with scripts/build-cuda.sh to use it
       *[other] { $count } NVIDIA GPUs are here ({ $names }), but this build trains on the CPU only: build it with scripts/build-cuda.sh to use them
    }
training-hyper-title = Hyperparameters
training-field-steps = Steps
training-field-steps-hint = Optimizer steps in the whole run
training-field-lr = Learning rate
training-field-lr-hint = The peak learning rate, reached after warmup and then lowered along a cosine
training-field-warmup = Warmup
training-field-warmup-hint = Steps over which the learning rate rises from zero
training-field-batch = Batch
training-field-batch-hint = Sequences per micro-batch
training-field-accum = Accumulation
training-field-accum-hint = Micro-batches summed into one step: a larger effective batch in the same memory
training-field-seq = Sequence
training-field-seq-hint = Tokens per training sequence; at most the model's context
training-field-wd = Weight decay
training-field-wd-hint = AdamW's decoupled weight decay
training-field-clip = Gradient clip
training-field-clip-hint = The gradient norm is clipped to this (0 turns clipping off)
training-field-seed = Seed
training-field-seed-hint = The same seed, data and settings give the same run
training-field-eval-every = Evaluate every
training-field-eval-every-hint = Steps between validation-loss measurements (0 = only at the end)
training-field-sample-every = Sample every
training-field-sample-every-hint = Steps between samples from the fixed prompts (0 = never)
training-field-checkpoint-every = Checkpoint every
training-field-checkpoint-every-hint = Steps between checkpoints; the best one by validation loss is kept besides
training-field-device = Device
training-field-device-hint = Where the run computes: the CPU, or a GPU when this build has CUDA or Metal
training-field-dtype = Precision
training-field-dtype-hint = Compute precision; weights and optimizer state stay f32. bf16 pays off on GPUs only
training-field-lora = LoRA
training-field-lora-hint = Train small low-rank adapters instead of all weights (rank r)
training-field-beta = β
training-field-beta-hint = DPO's β: how far the model may move from its starting point (0.1 is usual)
training-field-prompts = Sample prompts, one per line
training-field-prompts-hint = The run writes an answer to each of these as it learns
training-start = Start training
training-start-hint = Runs as a separate process: it goes on if this window closes
training-ready = Ready to start
training-fix-problems = Fix the problems listed above the Start button first.
training-preview-title = Command and config, to run it elsewhere
training-preview-hint = Save the config as run.toml in a copy of this workspace (e.g. on a GPU server) and run the command there.
training-copy = Copy
training-problem-name = Give the run a name (no slashes, not starting with a dot).
training-problem-name-taken = A run with this name exists: choose another name.
training-problem-no-data = There is nothing to train on: the chosen data is empty.
training-problem-no-tokenizer = Choose a tokenizer.
training-problem-tokenizer = The tokenizer cannot be read: { $error }
training-problem-no-base = Choose the run to start from.
training-problem-base = The base checkpoint cannot be read: { $error }
training-problem-vocab = The tokenizer has { $tokenizer } tokens but the model has { $model } embedding rows: pick the tokenizer the base run was trained with.
training-problem-other-tokenizer = The base run was trained with a different tokenizer; its token ids would mean other words.
training-problem-context = Sequence length { $seq } is longer than the model's context of { $context } tokens.
training-problem-model = The model sizes do not fit together: { $error }
training-problem-steps = The run needs at least one step.
training-problem-batch = Batch and accumulation must be at least 1, the sequence at least 2 tokens.
training-problem-lora = LoRA adapts an existing model: choose SFT from a base run.
setting-out-of-range = { $field } = { $value } is out of range: it must be { $range }.
range-from-to = from { $a } to { $b }
range-above-at-most = above { $a } and at most { $b }
range-at-least-below = at least { $a } and below { $b }
range-above-below = above { $a } and below { $b }
range-at-least = at least { $a }
range-above = above { $a }
range-at-most = at most { $a }
range-below = below { $a }
range-finite = a finite number
training-monitor-empty = Choose a run in All runs, or start one under New run.
training-status-running = running
training-status-stopped = stopped
training-status-finished = finished
training-status-failed = failed
training-stop = Stop
training-stopping = Stopping…
training-stop-hint = Saves a checkpoint at the end of the current step, then stops; resume it later
training-resume = Resume
training-resume-hint = Continue this run in a new process; steps after the chosen checkpoint are redone
training-resume-finished-hint = This run has done all its steps: from its last checkpoint there is nothing left to run. Choose an earlier checkpoint to run the steps after it again, or copy its settings into a new, longer run.
training-resume-from = from
training-restart = Start again
training-restart-hint = This run has no checkpoint yet: start it again from step 0 with the same settings
training-ckpt-last = the last checkpoint
training-ckpt-best = the best checkpoint
training-ckpt-step = step { $step }
training-clone = Clone settings
training-clone-hint = Put this run's settings into the New run form
training-delete = Delete…
training-delete-hint = Remove this run's folder and record
training-delete-confirm = Delete run { $name } with its checkpoints? This cannot be undone.
training-delete-yes = Delete
training-delete-running = A running run cannot be deleted: stop it first.
training-failed-title = The run failed
training-lost-process = The training process ended while no window followed it, without recording how (killed, or out of memory).
training-lineage = Lineage:
training-lineage-corpus = The corpus it was trained on
training-lineage-tokenizer = Its tokenizer
training-lineage-sft = SFT examples
training-lineage-prefs = preference pairs
training-children = Runs started from this one:
training-preparing = Tokenising the data… { $percent }%
training-progress = step { $step } / { $max } · { $percent }% · elapsed { $elapsed } · ETA { $eta }
training-waiting = Starting the training process…
training-stats = loss { $loss } · validation { $val } · best { $best } · lr { $lr } · grad norm { $grad } · { $speed } tokens/s · { $tokens } tokens seen
training-params = { $params } parameters, { $trainable } trainable
training-smoothing = Smoothing
training-log-scale = Log scale
training-train-loss = train loss
training-val-loss = validation loss
training-best-checkpoint = best checkpoint
training-step = step
training-lr = Learning rate
training-grad-norm = Gradient norm
training-speed = Tokens per second
training-margin = Reward margin
training-accuracy = Reward accuracy
training-samples = Samples at step { $step }
training-samples-all = All samples ({ $count })
training-log-title = Log
training-col-compare = Compare
training-col-compare-hint = Tick runs to overlay their curves and diff their settings
training-col-data = Data
training-col-best = Best val. loss
training-col-steps = Steps
training-col-duration = Duration
training-col-actions = Actions
training-compare-hint = Tick runs to overlay their curves and see how their settings differ.
training-overlay-title = Curves of the ticked runs
training-diff-title = Settings that differ
training-diff-key = Setting
training-diff-same = The ticked runs have the same settings.

## Playground
playground-about = Talk to a model you trained, with answers grounded in your corpora.
playground-empty-title = No trained model to talk to yet
playground-empty-body = Once a training run has saved a checkpoint, you can chat with it here. Checkpoints are kept in the workspace's runs folder:
play-tab-chat = Chat
play-tab-compare = Side by side
play-tab-batch = Batch
play-tab-index = Search indexes
play-model = Model
play-completion = Plain text
play-completion-hint = Continue the text as it is, without the chat template: for a pretrained model that has not been finetuned on conversations.
play-completion-suggested = This model was never finetuned on conversations (no SFT stage in its lineage): plain text suits it.
play-rag = Answer from documents
play-rag-hint = Retrieve the passages that match the question from a corpus's search index and put them into the prompt.
play-rag-corpus = Corpus
play-rag-none = (no search index)
play-rag-k = Passages
play-rag-build = Build a search index first
play-rag-needs-index = Retrieval needs a corpus with a search index: build one in the Search indexes tab.
play-sampling = Sampling and system prompt
play-top-k = Top-k
play-top-p = Top-p
play-repetition = Repetition penalty
play-system = System prompt
play-template = Prompt template
play-template-hint = { "{context}" } is replaced by the numbered passages, { "{question}" } by the question.
play-new = New conversation
play-delete = Delete
play-delete-yes = Delete it
play-delete-no = Keep it
play-no-conversations = No conversations yet.
play-start-hint = Ask something below. Answers stream in as the model writes them, and every message is kept in the workspace.
play-input = Message
play-input-hint = Type a message…
play-send = Send
play-stop = Stop
play-regenerate = Regenerate
play-regenerate-hint = Drop the last answer and write it again with the next seed.
play-keys = Enter sends · Shift+Enter new line · Esc stops
play-you = You
play-answer-meta = { $model } · { $tokens } tokens · { $speed } tokens/s · seed { $seed } · { $finish }
play-finish-max-tokens = reached the token limit
play-finish-end = finished
play-finish-stop-string = stopped at a stop string
play-finish-context-full = the context window is full
play-finish-cancelled = stopped
play-speed = { $speed } tokens/s
play-passages = Passages: { $count }, used: { $used }
play-fit-tokens = Prompt { $prompt } + passages { $passages } + answer { $answer } of the model's { $context } tokens
play-fit-overflow = The prompt takes { $prompt } of the model's { $context } tokens: no room for an answer of { $answer }. Start a new conversation, or fit the settings to the model.
play-fit-dropped = { $dropped } of { $found } passages found will not fit the model's { $context } tokens with { $answer } kept for the answer.
play-fit-to-model = Fit to the model
play-fit-to-model-hint = Answer length, passages and template from the model's context window; plain text for a model without chat training.
play-passages-dropped = { $dropped } of { $found } passages found did not fit the model's context of { $context } tokens (with room for the answer): a shorter template, fewer passages or fewer max tokens leave more room.
play-passage-score = score { $score } · { $overlap }% of the answer's words
play-passage-used = used
play-retrieved = Retrieved passages: { $count }
play-needs-model = Choose a model (a run with a saved checkpoint) first.
play-compare-about = The same prompt goes to two checkpoints with the same settings; send the pair to the rating queue to judge which is better.
play-prompt = Prompt
play-compare-run = Ask both
play-to-rating = Send the pair to rating
play-to-rating-hint = Adds the prompt and both answers to the rating queue as one item.
play-sent = Sent to the rating queue as item { $item }.
play-batch-about = Run a list of prompts (one per line) through a checkpoint, with or without retrieval. The outputs are saved in the workspace's exports folder for review or rating.
play-batch-plain = Without retrieval
play-batch-rag = With retrieval
play-batch-both = Both (pairs for rating)
play-batch-rag-from = Passages come from { $corpus }, with the chat's retrieval settings.
play-batch-prompts = Prompts, one per line
play-batch-run = Run the batch
play-batch-needs = Write at least one prompt.
play-batch-saved = { $count ->
        [one] { $count } output
       *[other] { $count } outputs
    } saved to { $path }
play-batch-to-rating = Send pairs to rating
play-batch-to-sft = Add as SFT drafts
play-batch-no-pairs = No prompt has two different answers (run the batch both ways).
play-batch-sent-rating = { $count ->
        [one] { $count } item
       *[other] { $count } items
    } added to the rating queue.
play-batch-sent-sft = { $count ->
        [one] { $count } draft example
       *[other] { $count } draft examples
    } added to SFT.
play-batch-col-prompt = Prompt
play-batch-col-mode = Mode
play-batch-col-output = Output
play-index-about = A search index cuts a corpus into passages (one per article where the text has "Maddə N" headings) and finds them with BM25. Words are matched the Azerbaijani way: I/ı and İ/i, ə look-alikes, common endings, and text typed without ə ş ç ğ ı ö ü.
play-index-chunk = Passage length (words)
play-index-overlap = Overlap (words)
play-index-stem = Strip endings
play-index-stem-hint = Match kitab, kitabın, kitablarda as one word (light stemming of case, possessive and plural endings).
play-index-col-corpus = Corpus
play-index-col-state = Search index
play-index-none = no search index
play-index-state = { $passages ->
        [one] { $passages } passage
       *[other] { $passages } passages
    } ({ $articles ->
        [one] { $articles } article
       *[other] { $articles } articles
    }) from { $docs ->
        [one] { $docs } document
       *[other] { $docs } documents
    }, built in { $secs } s
play-index-build = Build search index
play-index-rebuild = Rebuild
play-search-title = Try a question
play-search = Question
play-search-hint = e.g. Kitabı neçə günlüyə götürmək olar?
job-play-batch = Batch of { $count ->
        [one] { $count } prompt
       *[other] { $count } prompts
    }
job-play-index = Search index of { $name }

## Settings
settings-language = Interface language
settings-theme = Theme
settings-theme-light = Light
settings-theme-dark = Dark
settings-annotator = Annotator name
settings-annotator-hint = Signs the examples you write and the ratings you give.
settings-annotator-placeholder = Your name
settings-workspace = Workspace
settings-workspace-hint = A folder holding the database (dezgah.db) and the corpora, tokenizers, runs and exports folders.
settings-workspace-open = Open and healthy
settings-workspace-summary = { $corpora ->
        [one] { $corpora } corpus
       *[other] { $corpora } corpora
    } · { $sft ->
        [one] { $sft } SFT example
       *[other] { $sft } SFT examples
    } · { $preferences ->
        [one] { $preferences } preference item
       *[other] { $preferences } preference items
    } · { $runs ->
        [one] { $runs } run
       *[other] { $runs } runs
    } · schema version { $schema }
settings-workspace-seeded = Filled from the sample files: { $corpora ->
        [one] { $corpora } corpus
       *[other] { $corpora } corpora
    }, { $sft ->
        [one] { $sft } SFT example
       *[other] { $sft } SFT examples
    }, { $preferences ->
        [one] { $preferences } preference item
       *[other] { $preferences } preference items
    }.
settings-workspace-path = Folder path
settings-workspace-open-path = Open
settings-workspace-choose = Choose folder…
settings-workspace-check = Check workspace
settings-workspace-check-hint = Runs SQLite's integrity check and looks for every file the database refers to

## Status bar and jobs
status-workspace = Workspace:
status-workspace-failed = not open
status-no-jobs = No jobs running
status-eta = { $time } left
status-job-done = { $name }: done
status-job-cancelled = { $name }: cancelled
status-job-failed = { $name }: failed
job-check-workspace = Workspace check
workspace-check-reclaimed = removed { $files } stale temporary { $files ->
    [one] file
   *[other] files
  } of killed writers, { $size } reclaimed

## Corpus: tabs and the document browser
corpus-tab-overview = Overview
corpus-tab-documents = Documents
corpus-index-loading = Reading the documents…
job-corpus-index = Reading the documents of { $name }
job-corpus-search = Searching for “{ $query }”
corpus-browse-count = { $shown } of { $total } documents
corpus-browse-none = No document passes these filters.
corpus-search = Search
corpus-search-hint = Text or regular expression; Enter searches
corpus-search-regex = regular expression
corpus-search-ignore-case = ignore case
corpus-search-ignore-case-hint = Azerbaijani case rules: I matches ı, İ matches i
corpus-search-clear = Clear search
corpus-search-found = “{ $query }”: { $count ->
        [one] { $count } document
       *[other] { $count } documents
    }
corpus-doc-pick = Click a document to read it here, with its anomalies highlighted.
corpus-doc-facts = { $source } · { $language } · { $script } · { $characters } characters · { $words } words
corpus-doc-flags = Fails quality filters: { $flags }
corpus-doc-cut = Showing the first { $shown } of { $total } characters.
corpus-doc-show-all = Show the whole document
filter-any = any
filter-length = Characters
filter-language = Language
filter-script = Script
filter-source = Source
filter-quality = Quality
filter-quality-clean = passes all filters
filter-quality-flagged = fails a filter
filter-duplicates = Duplicates
filter-dup-unique = not in a cluster
filter-dup-in-cluster = in a cluster
filter-dup-removed = to be removed
filter-anomaly = Anomaly
filter-anomaly-any = any anomaly
filter-reset = Reset filters
script-latin = Latin
script-cyrillic = Cyrillic
script-mixed = mixed
script-other = other
script-none = no letters
mark-hit = search hit
mark-mixed-script = mixed-script word
mark-schwa = ə look-alike
mark-replacement = U+FFFD
mark-control = control character
mark-split-word = split word
flag-too-short = too short
flag-too-long = too long
flag-word-length = odd word length
flag-symbols = too many symbols
flag-digits = too many digits
flag-non-alphabetic = too few alphabetic words
flag-bullets = bullet lines
flag-ellipses = lines ending in …
flag-duplicate-lines = repeated lines
flag-top-bigram = one bigram dominates
flag-repeated-ngrams = repeated n-grams
flag-boilerplate = boilerplate lines

## Corpus: step tabs (clean, filter, duplicates, export)
corpus-tab-clean = Clean
corpus-tab-filter = Filter
corpus-tab-duplicates = Duplicates
corpus-tab-export = Export
step-running = Working…
step-progress-documents = { $done } / { $total } documents
step-progress-pass = pass { $pass } of { $passes } · { $done } / { $total } documents
step-progress-passages = { $done } / { $total } passages
step-preview = Preview
step-apply-clean = Make { $name }
step-apply-filter = Make { $name }
step-apply-dedup = Remove duplicates: make { $name }
step-apply-hint = Writes a new corpus; this one stays as it is, and the new one records this step and its settings
step-open-document = Open this document in the Documents tab
job-clean-preview = Cleaning preview of { $name }
job-filter-preview = Filter preview of { $name }
job-find-duplicates = Duplicates in { $name }
job-derive-corpus = New corpus from { $name }
job-export-corpus = Export of { $name }
job-compare-documents = Comparing documents of { $name }
clean-about = Azerbaijani-aware normalisation. Preview shows, for each rule on its own, the documents it changes.
clean-casing-note = Wherever text is lower- or upper-cased (search, deduplication, word counts), Turkic rules apply: I ↔ ı, İ ↔ i.
clean-preview-summary = { $changed } of { $documents } documents change
clean-preview-rule = { $rule }: { $count ->
        [one] { $count } document
       *[other] { $count } documents
    }
clean-preview-none = No document changes.
rule-nfc = Unicode NFC
rule-nfc-hint = Composes letters written as a base letter plus a combining mark (e + ̈ → ë)
rule-schwa = ə look-alikes → ə
rule-schwa-hint = Cyrillic ә/Ә, ǝ and the ä of the 1991–92 spelling become ə/Ə in Latin text; Cyrillic text keeps its ә
rule-mixed-script = Mixed-script words
rule-mixed-script-hint = Latin words with a Cyrillic look-alike letter inside (а, е, о, р, с …) are written in Latin
rule-split-words = Repair split words
rule-split-words-hint = Joins letters a PDF extraction split off (M ə c ə ll ə si → Məcəlləsi), using the corpus's own vocabulary
rule-whitespace = White space and control characters
rule-whitespace-hint = Removes zero-width and control characters and collapses runs of spaces
rule-transliterate = Cyrillic → Latin
rule-transliterate-hint = Transliterates by the official table: every Cyrillic letter when the corpus's script is Azerbaijani Cyrillic, else only documents detected as Cyrillic Azerbaijani
corpus-source = Script
corpus-source-auto = Detect in each document
corpus-source-az-latn = Azerbaijani, Latin
corpus-source-az-cyrl = Azerbaijani, Cyrillic
corpus-source-hint = What this corpus is written in. Cyrillic → Latin in the Clean tab converts all the Cyrillic of a corpus marked Cyrillic; detection converts only documents with the letters only Azerbaijani Cyrillic has (ә ғ ҝ ө ү һ ҹ ј), so short names without them stay Cyrillic. A Latin corpus keeps its Cyrillic quotations.
filter-about = Gopher/C4-style quality filters. Preview counts the documents each filter removes at these thresholds.
filter-defaults = Default thresholds
filter-preview-summary = { $failing } of { $documents } documents fail at least one filter
qf-min-words = Fewest words
qf-max-words = Most words
qf-min-mean-word-len = Shortest mean word length
qf-max-mean-word-len = Longest mean word length
qf-max-symbol-ratio = Symbols (# …) per word, at most
qf-max-digit-ratio = Share of digits, at most
qf-max-non-alpha-words = Share of words without letters, at most
qf-max-bullet-lines = Share of bullet lines, at most
qf-max-ellipsis-lines = Share of lines ending in …, at most
qf-max-duplicate-lines = Share of repeated lines, at most
qf-max-top-bigram = Share of the top word bigram, at most
qf-max-repeated-5grams = Share in repeated word 5-grams, at most
qf-max-boilerplate-lines = Share of boilerplate lines, at most
dedup-about = Exact and near-duplicate detection: MinHash with LSH bands, every candidate pair verified by its real Jaccard similarity.
dedup-shingles = Shingles:
dedup-words = word n-grams
dedup-chars = character n-grams
dedup-permutations = Permutations
dedup-threshold = Threshold
dedup-bands = { $bands } bands × { $rows } rows
dedup-find = Find duplicates
dedup-found = { $clusters } clusters: { $exact } exact and { $near } near copies to remove ({ $seconds } s)
dedup-none = No duplicates at this threshold.
dedup-keep = Keep in each cluster:
dedup-keep-first = the first
dedup-keep-longest = the longest
dedup-keep-source = by source priority
dedup-keep-hint = Applies to every cluster you have not decided by hand
dedup-source-order = Sources, preferred first:
dedup-move-up = move up
dedup-clusters = { $count ->
        [one] { $count } cluster
       *[other] { $count } clusters
    }
dedup-cluster-row = { $number }. { $size } documents · { $kind } · keeps #{ $keep } · { $decision }
dedup-exact = exact
dedup-near = near
dedup-decision-policy = by policy
dedup-decision-chosen = chosen by hand
dedup-decision-not-duplicates = not duplicates
dedup-pick = Pick a cluster to review it.
dedup-not-duplicates = Not duplicates
dedup-are-duplicates = They are duplicates
dedup-keep-this = keep
dedup-compare = compare
dedup-diff-figures = #{ $left } (kept): { $left_words } words · #{ $right }: { $right_words } words · shared, in order: { $shared } words ({ $left_share } of #{ $left }, { $right_share } of #{ $right })
dedup-diff-passages = { $shared ->
    [one] 1 paragraph the same
   *[other] { $shared } paragraphs the same
  }, { $changed ->
    [one] 1 passage differs
   *[other] { $changed } passages differ
  } · Jaccard of the shingle sets (what detection measured): { $jaccard }
dedup-diff-defs = Words are counted as duplicate detection counts them: lower-cased, without punctuation or spacing. Shared words are matched in order, paragraph by paragraph, then word by word inside the paragraphs that differ; each counts once. Shared words plus the words only in one document make up all of that document's words.
dedup-diff-same-words = The two have the same words in the same order; they differ at most in case, spacing or punctuation.
dedup-diff-approximate = The comparison ran out of time and compared some passages coarsely: the shared count is a lower bound.
dedup-shared-run = … { $paragraphs ->
    [one] 1 more paragraph
   *[other] { $paragraphs } more paragraphs
  } the same ({ $words } words) …
dedup-changed-counts = only in #{ $left }: { $left_only ->
    [one] 1 word
   *[other] { $left_only } words
  } · only in #{ $right }: { $right_only ->
    [one] 1 word
   *[other] { $right_only } words
  }
dedup-more-changed = … and { $count } more differing passages, counted in the figures above but not shown.
export-about = Writes the selected corpus as JSONL or Parquet, with a provenance record beside it (and in the workspace): its sources, every step with its settings, and the documents each step removed.
export-lineage = Lineage
export-lineage-import = { $name }: imported, { $documents } documents from { $sources } files
export-lineage-step = { $name }: { $step }, { $in } → { $out } documents
export-as = Export as { $format }…
export-done = { $count ->
        [one] { $count } document
       *[other] { $count } documents
    } written to { $path }
export-provenance = Provenance: { $path }
corpus-tokens = Estimated tokens:
corpus-tokens-hint = Encode a sample of this corpus with this tokenizer
corpus-tokens-choose = Choose a tokenizer.json…
corpus-tokens-estimate = ≈ { $tokens } tokens with { $tokenizer } ({ $per_token } characters per token, from { $sample } sampled documents)
job-estimate-tokens = Tokens of { $name }
corpus-import-text-field = Text field:
corpus-import-id-field = id field:
corpus-import-fields-hint = For .jsonl and .parquet: which field holds the text, and which the document's id (without one, file:line is the id)
corpus-import-bad-lines = Unreadable lines:
corpus-import-skip = leave out
corpus-import-skip-hint = A line with invalid UTF-8 or malformed JSON is reported (file:line) and left out
corpus-import-repair = repair
corpus-import-repair-hint = Invalid UTF-8 becomes U+FFFD and the line is kept; malformed JSON is still left out; both are reported
corpus-bad-lines = { $count ->
        [one] 1 unreadable line was
       *[other] { $count } unreadable lines were
    } reported at import:
corpus-bad-lines-more = … and { $count } more

## Tokenizer area
tokenizer-train-title = Train a tokenizer
tokenizer-train-no-corpus = Import a corpus in the Corpus area first, then choose it here to train on.
tokenizer-train-corpora = Train on:
tokenizer-train-name = Name
tokenizer-train-kind = Kind
tokenizer-kind-unigram-hint = SentencePiece style: a Unigram language model over pieces, word starts marked with ▁
tokenizer-kind-bpe-hint = GPT-2 style: byte-level BPE merges; every byte is in the vocabulary, nothing is unknown
tokenizer-train-vocab = Vocabulary size
tokenizer-train-min-frequency = Fewest occurrences of a merge
tokenizer-train-max-piece = Longest piece (characters)
tokenizer-train-byte-fallback = Byte fallback
tokenizer-train-byte-fallback-hint = A character outside the vocabulary becomes its UTF-8 bytes (<0xNN> pieces) instead of <unk>
tokenizer-train-normalize = Azerbaijani normaliser
tokenizer-train-normalize-hint = Inside the tokenizer: Unicode NFC and ə look-alikes (Cyrillic ә, ǝ) → ə, so they do not waste vocabulary
tokenizer-train-lowercase = Lower-case (Turkic rules)
tokenizer-train-lowercase-hint = I → ı and İ → i before lower-casing, which a generic lower-caser gets wrong
tokenizer-train-special = Special tokens
tokenizer-train = Train
tokenizer-training = Training runs in the background; the status bar shows its progress.
tokenizer-trained = { $name }: { $vocab } tokens from { $documents } documents in { $seconds } s
job-train-tokenizer = Training tokenizer { $name }
tokenizer-list-title = Tokenizers
tokenizer-add-file = Add a tokenizer.json or .model…
tokenizer-add-file-hint = Copies a tokenizer.json (e.g. from a Hugging Face model folder) or converts a SentencePiece Unigram .model into the workspace, after checking it loads
tokenizer-select-hint = Inspect this tokenizer
tokenizer-inspect-title = Inspect
tokenizer-inspect-pick = Pick a tokenizer in the list to see how it splits text.
tokenizer-inspect-loaded = { $kind } · { $vocab } tokens
tokenizer-inspect-text = Text
tokenizer-inspect-hint = Paste or type Azerbaijani text…
tokenizer-inspect-counts = { $tokens ->
        [one] { $tokens } token
       *[other] { $tokens } tokens
    } · { $characters } characters · { $words ->
        [one] { $words } word
       *[other] { $words } words
    } · { $per_token } characters per token · { $per_word } tokens per word
tokenizer-inspect-flags = { $fallback } byte-fallback pieces and { $unknown } unknown tokens: characters this vocabulary lacks
tokenizer-inspect-round-trip = Decoding does not give the text back: “{ $decoded }”
tokenizer-piece-hover = “{ $decoded }” · id { $id } · in the vocabulary { $token } · bytes { $bytes }
tokenizer-piece-score = score { $score }
tokenizer-piece-fallback = byte fallback: this character is not in the vocabulary
tokenizer-piece-unknown = unknown token: this text is lost
tokenizer-compare-title = Compare
tokenizer-compare-two = Two or more tokenizers are needed for a comparison: train another, or add a tokenizer.json.
tokenizer-compare-on = On:
tokenizer-compare-text = the text above
tokenizer-compare = Compare
job-compare-tokenizers = Comparing tokenizers
tokenizer-col-tokens = Tokens
tokenizer-col-fertility = Tokens per word
tokenizer-col-chars-per-token = Characters per token
tokenizer-col-split3 = Words in ≥ 3 pieces
tokenizer-col-unknown = Unknown or byte pieces
tokenizer-compare-overlap = Vocabulary overlap (Jaccard of the decoded pieces)
tokenizer-compare-words = How words with ə ğ ı ş ç ö ü split
tokenizer-col-word = Word
tokenizer-col-count = Count

## Export
export-check-vocab = Vocabulary: the tokenizer's { $tokenizer } tokens match the model's embedding rows.
export-check-vocab-padded = Vocabulary: the tokenizer has { $tokenizer } tokens, the model { $rows } embedding rows; GGUF lists the spare rows as unused tokens.
export-check-vocab-too-big = Vocabulary: the tokenizer has { $tokenizer } tokens but the model has { $rows } embedding rows, so some token ids point past the table. Export the tokenizer this model was trained with.
export-check-special = Special tokens: <s>, </s>, the role markers and <|end|> are all there.
export-check-special-missing = Special tokens missing: { $tokens }. Chat and stopping need them; train the tokenizer with Dəzgah's special tokens.
export-check-template = Chat template: renders in Jinja exactly as the model saw conversations in training.
export-check-template-differs = Chat template: renders differently from training, as: { $text }
export-check-template-error = Chat template: does not render: { $error }
export-check-type-hf = Tokenizer: tokenizer.json goes into the folder as it is; transformers reads it natively.
export-check-type-gguf = Tokenizer: GGUF carries it as the { $kind } type.
export-check-type-unsupported = Tokenizer: GGUF cannot carry it ({ $what }); only byte-level BPE and Unigram with metaspace can be exported.
export-check-normalizer = Tokenizer: llama.cpp does not apply the Azerbaijani normaliser (NFC, ə look-alikes → ə); normalise text before it reaches the model, or text with Cyrillic ә will split differently.
export-check-byte-fallback = Tokenizer: llama.cpp's Unigram has no byte fallback; characters this vocabulary lacks (rare digits, symbols) become <unk> there instead of byte pieces.
export-check-round-trip = Round trip: the sample text encodes to { $tokens } tokens and decodes back unchanged.
export-check-round-trip-differs = Round trip: the sample text does not come back unchanged: { $text }
export-check-tensors = Tensors: all { $count } have the names and shapes the model needs.
export-check-tensors-wrong = Tensors: { $count ->
        [one] { $count } problem
       *[other] { $count } problems
    }, e.g. { $first }
model-export-title = Export
model-export-target-ollama = Ollama
model-export-target-ollama-hint = A GGUF file and a Modelfile: ollama create, then ollama run
model-export-target-gguf = GGUF
model-export-target-gguf-hint = One file for llama.cpp and the tools built on it
model-export-target-hf = Hugging Face folder
model-export-target-hf-hint = config.json, model.safetensors and the tokenizer files, for transformers
model-export-precision = Precision
model-export-check = Check
model-export-check-hint = Reads the checkpoint and checks what would break the export
model-export-run = Export
model-export-run-hint = Writes into the workspace's exports folder; enabled once the check passes
model-export-done = Written: { $path }
job-export-check = Export check of { $name }
job-export = Export of { $name }
