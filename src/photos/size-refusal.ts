/** Why a file over MAX_UPLOAD_MB was not stored: "photo.jpg is larger than 50 MB." */
export function sizeRefusal(name: string, maxFileBytes: number): string {
  return `${name} is larger than ${Math.round(maxFileBytes / 1024 / 1024)} MB.`;
}
