// Every worker, bundle and replayer of Ferry's workflows must decode payloads the same way.
export const ferryDataConverter = { payloadConverterPath: require.resolve('./payload-converter') };
