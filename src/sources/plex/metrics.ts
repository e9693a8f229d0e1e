/** What Plex emits. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  streams: {
    values: ["streams.movies", "streams.shows", "streams.musics", "streams.sessions", "streams.transcodes"],
    help: "Plex sessions playing",
  },
  bandwidth: { values: ["streams.bandwidth"], unit: "bits_per_second", help: "Bandwidth of the Plex sessions" },
  lib: {
    values: [
      "lib.movies",
      "lib.shows",
      "lib.shows.episodes",
      "lib.shows.seasons",
      "lib.music.artists",
      "lib.music.albums",
      "lib.music.songs",
    ],
    help: "Items in the Plex libraries",
  },
  sections: { values: ["lib.items"], labels: ["section", "type"], help: "Items per Plex library section" },
})
