/** Promise version of the docx loader (`aleph-alpha-client/document`); rejects with a `MediaError`. */
import * as Layer from "effect/Layer"
import { Document } from "../prompt/Document.js"
import { runner } from "./internal/runner.js"

const run = runner(() => Layer.empty)

/** `Document.fromDocxBytes`. */
export const documentFromDocxBytes = (bytes: Uint8Array): Promise<Document> => run("Document.fromDocxBytes", () => Document.fromDocxBytes(bytes))
