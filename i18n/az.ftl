# Dəzgah istifadəçi interfeysi, Azərbaycan dili.
# Buradakı hər id en.ftl-də də olmalıdır (test hər iki faylın eyni id və arqumentlərə malik olduğunu yoxlayır).

app-tagline = Azərbaycan dil modelləri üçün dəzgah

## İş sahələri
area-corpus = Korpus
area-tokenizer = Tokenizator
area-sft = SFT
area-rating = Qiymətləndirmə
area-training = Təlim
area-playground = Sınaq meydançası
area-settings = Tənzimləmələr

## Ümumi
col-id = №
col-name = Ad
col-documents = Sənədlər
col-characters = Simvollar
col-file = Fayl
col-kind = Növ
col-vocab = Lüğət
col-prompt = Sorğu
col-responses = Cavablar
col-ratings = Qiymətlər
col-stage = Mərhələ
col-status = Vəziyyət
action-reveal-folder = Qovluğu göstər
action-reveal-folder-hint = Bu qovluğu fayl menecerində aç
action-cancel = Ləğv et
action-cancel-job-hint = Bu işi növbəti addımda dayandır
action-dismiss = Bağla
role-user = İstifadəçi
role-assistant = Köməkçi
status-draft = qaralama
status-ready = hazır
status-rejected = rədd edilib
workspace-failed-title = İş sahəsi açıla bilmədi
workspace-go-settings = Başqa iş sahəsi seç…

## Korpus
corpus-about = Xam Azərbaycan mətni — xəbərlər, kitablar, qanunlar, veb səhifələr — təmiz, təkrarsız təlim korpuslarına çevrilir.
corpus-empty-title = Bu iş sahəsində hələ korpus yoxdur
corpus-empty-body = .txt, .md, .jsonl və ya .parquet fayllarını yuxarıdakı düymə ilə idxal edin və ya pəncərənin üzərinə atın. Korpusu seçərək sənədlərinə baxın, onları Azərbaycan dilinə uyğun qaydalarla təmizləyin, keyfiyyətə görə süzün, dublikatları silin və nəticəni ixrac edin. Korpus faylları iş sahəsinin corpora qovluğunda saxlanılır:
corpus-import = Faylları idxal et…
corpus-import-hint = .txt, .md, .jsonl və ya .parquet fayllarını (mətn faylları həm də .gz, .zst kimi) iş sahəsinə bir yeni korpus kimi əlavə edir
corpus-import-folder = Qovluq idxal et…
corpus-import-folder-hint = Qovluğun içindəki bütün .txt, .md, .jsonl və .parquet fayllarını (mətn faylları həm də .gz, .zst kimi) bir yeni korpus kimi əlavə edir
corpus-unit = Bir sənəd:
corpus-unit-line = sətir
corpus-unit-paragraph = abzas
corpus-unit-file = fayl
corpus-drop-hint = Və ya faylları pəncərənin üzərinə atın. İdxal arxa planda gedir; gedişatı status sətrində görünür.
corpus-select-hint = Bu korpusda nə olduğunu göstər
corpus-stats-computing = Statistika hesablanır…
corpus-stats-failed = Statistika hesablana bilmədi: { $error }
corpus-stats-summary = { $documents } sənəd · { $characters } simvol · { $words } söz
corpus-stats-scripts = Əlifbalar
corpus-stats-languages = Dillər
corpus-stats-anomalies = Bunlar olan sənədlər
corpus-stats-anomaly-counts = qarışıq əlifbalı sözlər { $mixed } · bölünmüş sözlər { $split } · ə-yə bənzər hərflər { $schwa } · U+FFFD { $replacement } · idarəedici simvollar { $control }
corpus-stats-top-words = Ən çox işlənən sözlər
corpus-stats-length = Sənədin uzunluğu
corpus-stats-length-axis = simvol sayının log₂-si
corpus-stats-documents = sənəd
job-import-corpus = { $name } idxal edilir
job-corpus-stats = { $name } statistikası
count-corpora = { $count } korpus

## Tokenizator
tokenizer-about = Korpuslarınız üzərində bayt səviyyəli BPE və Unigram tokenizatorları öyrədin, Azərbaycan mətninin necə bölündüyünü görün və tokenizatorları müqayisə edin.
tokenizer-empty-title = Bu iş sahəsində hələ tokenizator yoxdur
tokenizer-empty-body = Öyrədilmiş və ya yüklənmiş tokenizatorlar (tokenizer.json, SentencePiece .model) lüğət ölçüsü və öyrədildiyi korpusla birgə burada görünəcək. Onlar iş sahəsinin tokenizers qovluğunda saxlanılır:

## SFT
sft-about = Nəzarətli incə tənzimləmə (SFT) üçün annotatorların yazıb yoxladığı sorğu-cavab nümunələri.
sft-empty-title = Bu iş sahəsində hələ SFT nümunəsi yoxdur
sft-empty-body = Burada yazılan və ya TRL messages, Alpaca, ShareGPT fayllarından idxal edilən nümunələr sahəsi, vəziyyəti və müəllifi ilə burada sıralanacaq. İxrac iş sahəsinin exports qovluğuna yazılır:
sft-readonly = Yalnız baxış: nümunələri yazmaq və yoxlamaq üçün redaktor növbəti mərhələdə gəlir.
count-sft-examples = { $count } nümunə

## Qiymətləndirmə
rating-about = Modelin cavablarını yan-yana müqayisə edin; qərarlarınız DPO üçün üstünlük məlumatına çevrilir.
rating-empty-title = Bu iş sahəsində hələ üstünlük elementi yoxdur
rating-empty-body = Model tərəfindən yaradılmış və ya JSONL-dən idxal edilmiş, iki və daha çox cavablı sorğular annotatorları burada gözləyəcək. Üstünlük məlumatı iş sahəsinin exports qovluğuna ixrac edilir:
count-preference-items = { $count } üstünlük elementi, { $ratings } qiymət

## Təlim
training-about = Kiçik llama tipli modelləri sıfırdan öyrədin (pretrain), incə tənzimləyin (SFT) və uyğunlaşdırın (DPO), əyrilərini canlı izləyin.
training-empty-title = Bu iş sahəsində hələ təlim prosesi yoxdur
training-empty-body = Hər proses — tənzimləmələri, itki əyriləri, nümunələri və yoxlama nöqtələri — burada sıralanacaq. Proseslər iş sahəsinin runs qovluğunda saxlanılır:

## Sınaq meydançası
playground-about = Öyrətdiyiniz modellə danışın; cavablar öz korpuslarınıza əsaslanır.
playground-empty-title = Hələ danışmaq üçün öyrədilmiş model yoxdur
playground-empty-body = Təlim prosesi yoxlama nöqtəsi saxlayan kimi onunla burada söhbət edə biləcəksiniz. Yoxlama nöqtələri iş sahəsinin runs qovluğunda saxlanılır:
playground-models-ready = { $count } bitmiş prosesin danışmağa hazır modeli var.

## Tənzimləmələr
settings-language = İnterfeys dili
settings-theme = Mövzu
settings-theme-light = İşıqlı
settings-theme-dark = Tünd
settings-annotator = Annotatorun adı
settings-annotator-hint = Yazdığınız nümunələr və verdiyiniz qiymətlər bu adla imzalanır.
settings-annotator-placeholder = Adınız
settings-workspace = İş sahəsi
settings-workspace-hint = Verilənlər bazasını (dezgah.db) və corpora, tokenizers, runs, exports qovluqlarını saxlayan qovluq.
settings-workspace-open = Açıqdır və qaydasındadır
settings-workspace-summary = { $corpora } korpus · { $sft } SFT nümunəsi · { $preferences } üstünlük elementi · { $runs } proses · sxem versiyası { $schema }
settings-workspace-seeded = Nümunə fayllarından dolduruldu: { $corpora } korpus, { $sft } SFT nümunəsi, { $preferences } üstünlük elementi.
settings-workspace-path = Qovluğun yolu
settings-workspace-open-path = Aç
settings-workspace-choose = Qovluq seç…
settings-workspace-check = İş sahəsini yoxla
settings-workspace-check-hint = SQLite-ın bütövlük yoxlamasını işlədir və verilənlər bazasının istinad etdiyi hər faylı axtarır

## Status sətri və işlər
status-workspace = İş sahəsi:
status-workspace-failed = açılmayıb
status-no-jobs = İşləyən iş yoxdur
status-eta = { $time } qalıb
status-job-done = { $name }: bitdi
status-job-cancelled = { $name }: ləğv edildi
status-job-failed = { $name }: alınmadı
job-check-workspace = İş sahəsinin yoxlanması

## Korpus: bölmələr və sənəd baxışı
corpus-tab-overview = İcmal
corpus-tab-documents = Sənədlər
corpus-index-loading = Sənədlər indekslənir…
job-corpus-index = { $name } indeksi
job-corpus-search = “{ $query }” axtarılır
corpus-browse-count = { $total } sənəddən { $shown }
corpus-browse-none = Bu süzgəclərdən keçən sənəd yoxdur.
corpus-search = Axtar
corpus-search-hint = Mətn və ya requlyar ifadə; Enter axtarır
corpus-search-regex = requlyar ifadə
corpus-search-ignore-case = böyük-kiçik hərf fərq etməsin
corpus-search-ignore-case-hint = Azərbaycan hərf qaydaları: I ı ilə, İ i ilə uyğun gəlir
corpus-search-clear = Axtarışı sil
corpus-search-found = “{ $query }”: { $count } sənəd
corpus-doc-pick = Sənədi burada oxumaq üçün üzərinə basın; anomaliyalar rənglə göstərilir.
corpus-doc-facts = { $source } · { $language } · { $script } · { $characters } simvol · { $words } söz
corpus-doc-flags = Keyfiyyət süzgəclərindən keçmir: { $flags }
corpus-doc-cut = { $total } simvoldan ilk { $shown } göstərilir.
corpus-doc-show-all = Sənədi bütöv göstər
filter-any = hamısı
filter-length = Simvol
filter-language = Dil
filter-script = Əlifba
filter-source = Mənbə
filter-quality = Keyfiyyət
filter-quality-clean = bütün süzgəclərdən keçir
filter-quality-flagged = süzgəcdən keçmir
filter-duplicates = Dublikatlar
filter-dup-unique = qrupda deyil
filter-dup-in-cluster = qrupdadır
filter-dup-removed = silinəcək
filter-anomaly = Anomaliya
filter-anomaly-any = istənilən anomaliya
filter-reset = Süzgəcləri sıfırla
script-latin = latın
script-cyrillic = kiril
script-mixed = qarışıq
script-other = başqa
script-none = hərf yoxdur
mark-hit = axtarış nəticəsi
mark-mixed-script = qarışıq əlifbalı söz
mark-schwa = ə-yə oxşar hərf
mark-replacement = U+FFFD
mark-control = idarəetmə simvolu
mark-split-word = parçalanmış söz
flag-too-short = çox qısa
flag-too-long = çox uzun
flag-word-length = qəribə söz uzunluğu
flag-symbols = simvol çoxdur
flag-digits = rəqəm çoxdur
flag-non-alphabetic = hərfli söz azdır
flag-bullets = siyahı sətirləri
flag-ellipses = … ilə bitən sətirlər
flag-duplicate-lines = təkrarlanan sətirlər
flag-top-bigram = bir bigram üstünlük edir
flag-repeated-ngrams = təkrarlanan n-qramlar
flag-boilerplate = şablon sətirlər

## Korpus: addım bölmələri (təmizləmə, süzgəc, dublikatlar, ixrac)
corpus-tab-clean = Təmizləmə
corpus-tab-filter = Süzgəc
corpus-tab-duplicates = Dublikatlar
corpus-tab-export = İxrac
step-running = İşləyir…
step-preview = Önbaxış
step-apply-clean = { $name } yarat
step-apply-filter = { $name } yarat
step-apply-dedup = Dublikatları sil: { $name } yarat
step-apply-hint = Yeni korpus yazılır; bu korpus olduğu kimi qalır, yenisi isə bu addımı və onun ayarlarını qeyd edir
step-open-document = Bu sənədi Sənədlər bölməsində aç
job-clean-preview = { $name }: təmizləmə önbaxışı
job-filter-preview = { $name }: süzgəc önbaxışı
job-find-duplicates = { $name }: dublikat axtarışı
job-derive-corpus = { $name } əsasında yeni korpus
job-export-corpus = { $name } ixracı
job-compare-documents = { $name }: sənədlərin müqayisəsi
clean-about = Azərbaycan dilinə uyğun normallaşdırma. Önbaxış hər qaydanın ayrılıqda dəyişdirdiyi sənədləri göstərir.
clean-casing-note = Mətn kiçik və ya böyük hərfə çevrilən hər yerdə (axtarış, dublikatlar, söz sayları) türk qaydaları işləyir: I ↔ ı, İ ↔ i.
clean-preview-summary = { $documents } sənəddən { $changed } dəyişir
clean-preview-rule = { $rule }: { $count } sənəd
clean-preview-none = Heç bir sənəd dəyişmir.
rule-nfc = Unicode NFC
rule-nfc-hint = Əsas hərf və birləşən işarə ilə yazılmış hərfləri birləşdirir (e + ̈ → ë)
rule-schwa = ə-yə oxşar hərflər → ə
rule-schwa-hint = Latın mətnində kiril ә/Ә, ǝ və 1991–92 yazısının ä hərfi ə/Ə olur; kiril mətni öz ә hərfini saxlayır
rule-mixed-script = Qarışıq əlifbalı sözlər
rule-mixed-script-hint = İçində kiril oxşar hərfi (а, е, о, р, с …) olan latın sözləri latınca yazılır
rule-split-words = Parçalanmış sözləri bərpa et
rule-split-words-hint = PDF-dən çıxarışda ayrılmış hərfləri birləşdirir (M ə c ə ll ə si → Məcəlləsi); korpusun öz lüğətindən istifadə edir
rule-whitespace = Boşluqlar və idarəetmə simvolları
rule-whitespace-hint = Sıfır enli və idarəetmə simvollarını silir, ardıcıl boşluqları birləşdirir
rule-transliterate = Kiril → latın
rule-transliterate-hint = Kiril əlifbalı Azərbaycan mətni kimi tanınan sənədlər rəsmi cədvəllə latına çevrilir
filter-about = Gopher/C4 üslubunda keyfiyyət süzgəcləri. Önbaxış bu həddlərdə hər süzgəcin çıxardığı sənədləri sayır.
filter-defaults = Standart həddlər
filter-preview-summary = { $documents } sənəddən { $failing } ən azı bir süzgəcdən keçmir
qf-min-words = Ən az söz
qf-max-words = Ən çox söz
qf-min-mean-word-len = Ən qısa orta söz uzunluğu
qf-max-mean-word-len = Ən uzun orta söz uzunluğu
qf-max-symbol-ratio = Söz başına simvol (# …), ən çox
qf-max-digit-ratio = Rəqəmlərin payı, ən çox
qf-max-non-alpha-words = Hərfsiz sözlərin payı, ən çox
qf-max-bullet-lines = Siyahı sətirlərinin payı, ən çox
qf-max-ellipsis-lines = … ilə bitən sətirlərin payı, ən çox
qf-max-duplicate-lines = Təkrarlanan sətirlərin payı, ən çox
qf-max-top-bigram = Ən çox rast gəlinən bigramın payı, ən çox
qf-max-repeated-5grams = Təkrarlanan söz 5-qramlarının payı, ən çox
qf-max-boilerplate-lines = Şablon sətirlərin payı, ən çox
dedup-about = Tam və təxmini dublikatların tapılması: LSH zolaqlı MinHash; hər namizəd cütün real Jaccard oxşarlığı yoxlanılır.
dedup-shingles = Parçalar:
dedup-words = söz n-qramları
dedup-chars = simvol n-qramları
dedup-permutations = Permutasiyalar
dedup-threshold = Hədd
dedup-bands = { $bands } zolaq × { $rows } sətir
dedup-find = Dublikatları tap
dedup-found = { $clusters } qrup: silinəcək { $exact } tam və { $near } təxmini surət ({ $seconds } san)
dedup-none = Bu həddə dublikat yoxdur.
dedup-keep = Hər qrupda saxlanılsın:
dedup-keep-first = birincisi
dedup-keep-longest = ən uzunu
dedup-keep-source = mənbə üstünlüyünə görə
dedup-keep-hint = Əl ilə qərar vermədiyiniz bütün qruplara tətbiq olunur
dedup-source-order = Mənbələr, üstün olan əvvəldə:
dedup-move-up = yuxarı
dedup-clusters = { $count } qrup
dedup-cluster-row = { $number }. { $size } sənəd · { $kind } · #{ $keep } saxlanılır · { $decision }
dedup-exact = tam
dedup-near = təxmini
dedup-decision-policy = qaydaya görə
dedup-decision-chosen = əl ilə seçilib
dedup-decision-not-duplicates = dublikat deyil
dedup-pick = Baxmaq üçün qrup seçin.
dedup-not-duplicates = Dublikat deyil
dedup-are-duplicates = Dublikatdır
dedup-keep-this = saxla
dedup-compare = müqayisə et
dedup-diff-summary = #{ $left } (saxlanılan) və #{ $right }: Jaccard { $jaccard }, ortaq sözlər { $ratio }
dedup-identical = Mətnlər eynidir.
dedup-more-hunks = … və daha { $count } fərqli hissə.
export-about = Seçilmiş korpusu JSONL və ya Parquet kimi yazır; yanında (və iş sahəsində) mənşə qeydi olur: mənbələri, hər addım və onun ayarları, hər addımın çıxardığı sənədlər.
export-lineage = Mənşə
export-lineage-import = { $name }: idxal edilib, { $sources } fayldan { $documents } sənəd
export-lineage-step = { $name }: { $step }, { $in } → { $out } sənəd
export-as = { $format } kimi ixrac et…
export-done = { $count } sənəd yazıldı: { $path }
export-provenance = Mənşə qeydi: { $path }
