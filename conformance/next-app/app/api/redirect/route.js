// notebooks/app/api/redirect/route.py: redirect() from next/navigation, a 307.
import { redirect } from 'next/navigation'

export async function GET(request) {
  redirect('https://nextjs.org/')
}
