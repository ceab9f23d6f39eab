import { rm } from "node:fs/promises";
import markdownIt from "markdown-it";

// Richtext fields are Markdown; raw HTML in them stays escaped (html: false).
const md = markdownIt();

export default function (eleventyConfig) {
  eleventyConfig.ignores.add("README.md");

  // Eleventy never removes output it wrote before, so a deleted entry's page
  // would linger: start every one-off build from an empty _site. The content
  // itself stays incremental (.quire-cache); only the HTML is rewritten.
  eleventyConfig.on("eleventy.before", async ({ directories, runMode }) => {
    if (runMode === "build") await rm(directories.output, { recursive: true, force: true });
  });

  eleventyConfig.addFilter("markdown", (text) => md.render(text ?? ""));

  // An image as a preset transform served by Quire. Presets need no
  // signature: thumbnail, small (640 wide), medium (1024), large (1920), WebP.
  eleventyConfig.addFilter(
    "mediaUrl",
    (asset, quireUrl, preset = "small") => `${quireUrl}${asset.url}?preset=${encodeURIComponent(preset)}`,
  );
}
