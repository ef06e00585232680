export * from "./Models.js"
export * from "./SafeClass.js"
