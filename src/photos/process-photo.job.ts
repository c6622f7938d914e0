import { jobType } from '../jobs/job-type';

/** Makes one photo's renditions (PhotoProcessing); enqueued with the row turning `processing`. */
export const PROCESS_PHOTO = jobType<{ photoId: string }>('photo.process');
