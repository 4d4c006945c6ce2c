// Imported first by main.ts, before any other module loads. cdktf records a full stack trace for every token it
// creates; with tsx's source maps on, loading the maps and mapping those traces costs a good part of synth time.
// AIRLINE_SOURCE_MAPS=1 keeps source-mapped traces for debugging a synth error.
if (process.env.AIRLINE_SOURCE_MAPS !== '1') process.setSourceMapsEnabled(false);

export {};
