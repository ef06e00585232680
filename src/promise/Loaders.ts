/**
 * Promise versions of the loaders, for code outside Effect: images, base64, documents and
 * prompt templates. Files are read with Node's file system; URLs are fetched with the global
 * `fetch`, bare (no credentials ever go to the image's host). Failures reject with the same
 * `MediaError` / `ValidationError` as the Effect versions.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as ImageSource from "../prompt/ImageSource.js"
import { Document } from "../prompt/Document.js"
import { PromptTemplate } from "../prompt/PromptTemplate.js"
import { type Cropping, Image, type ImageControl, type Prompt } from "../schema/Prompt.js"

type Services = FileSystem.FileSystem | HttpClient.HttpClient

let runtime: ManagedRuntime.ManagedRuntime<Services, never> | undefined

// built on first use: platform-node (for the file system) is Node-only and loaded lazily
const getRuntime = () =>
  runtime ??= ManagedRuntime.make(
    Layer.merge(
      Layer.unwrapEffect(
        Effect.map(
          Effect.promise(() => import("@effect/platform-node/NodeFileSystem")),
          (module) => module.layer
        )
      ),
      FetchHttpClient.layer
    )
  )

const run = async <A, E>(effect: Effect.Effect<A, E, Services>): Promise<A> => {
  const exit = await getRuntime().runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
}

/** `Image.fromFile`: reads an image file; no crop. */
export const imageFromFile = (path: string, controls?: ReadonlyArray<ImageControl>): Promise<Image> =>
  run(Image.fromFile(path, controls))

/** `Image.fromFileWithCropping`: reads an image file and sends a square crop. */
export const imageFromFileWithCropping = (
  path: string,
  upperLeftX: number,
  upperLeftY: number,
  cropSize: number,
  controls?: ReadonlyArray<ImageControl>
): Promise<Image> => run(Image.fromFileWithCropping(path, upperLeftX, upperLeftY, cropSize, controls))

/** `Image.fromUrl`: fetches an image (bare, size-capped, checked to be an image); no crop. */
export const imageFromUrl = (
  url: string | URL,
  controls?: ReadonlyArray<ImageControl>,
  options?: ImageSource.UrlLoadOptions
): Promise<Image> => run(Image.fromUrl(url, controls, options))

/** `Image.fromUrlWithCropping`. */
export const imageFromUrlWithCropping = (
  url: string | URL,
  upperLeftX: number,
  upperLeftY: number,
  cropSize: number,
  controls?: ReadonlyArray<ImageControl>,
  options?: ImageSource.UrlLoadOptions
): Promise<Image> => run(Image.fromUrlWithCropping(url, upperLeftX, upperLeftY, cropSize, controls, options))

/** `Image.fromBytes`: the bytes as they are, checked to be an image. */
export const imageFromBytes = (
  bytes: Uint8Array,
  cropping?: Cropping,
  controls?: ReadonlyArray<ImageControl>
): Promise<Image> => run(Image.fromBytes(bytes, cropping, controls))

/** `Image.fromImageSource`: a path, a URL or bytes. */
export const imageFromSource = (
  source: string | URL | Uint8Array,
  controls?: ReadonlyArray<ImageControl>,
  options?: ImageSource.UrlLoadOptions
): Promise<Image> => run(Image.fromImageSource(source, controls, options))

/** `image.dimensions()`: width and height read from the image's header. */
export const imageDimensions = (image: Image): Promise<ImageSource.ImageDimensions> => run(image.dimensions())

/** `loadBase64FromFile`: the base64 of an image file. */
export const base64FromFile = (path: string): Promise<string> => run(ImageSource.loadBase64FromFile(path))

/** `loadBase64FromUrl`: the base64 of an image fetched from a URL. */
export const base64FromUrl = (url: string | URL, options?: ImageSource.UrlLoadOptions): Promise<string> =>
  run(ImageSource.loadBase64FromUrl(url, options))

/** `Document.fromDocxFile`: reads a docx (with mammoth). */
export const documentFromDocxFile = (path: string): Promise<Document> => run(Document.fromDocxFile(path))

/** `Document.fromDocxBytes`. */
export const documentFromDocxBytes = (bytes: Uint8Array): Promise<Document> => run(Document.fromDocxBytes(bytes))

/** `PromptTemplate.make`: parses a Liquid template (a syntax error rejects with a `ValidationError`). */
export const promptTemplate = (source: string): Promise<PromptTemplate> => run(PromptTemplate.make(source))

/** `template.toPrompt(variables)`: renders the template into a `Prompt`. */
export const renderPromptTemplate = (
  template: PromptTemplate,
  variables: Record<string, unknown> = {}
): Promise<Prompt> => run(template.toPrompt(variables))
